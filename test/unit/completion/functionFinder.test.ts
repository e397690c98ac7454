import { strict as assert } from 'node:assert';
import { findEnclosingFunction, locateFunctionAt } from '../../../src/completion/functionFinder';

/** The document without its cursor marker `█`, and the marker's offset. */
function at(doc: string): { text: string; offset: number } {
  const offset = doc.indexOf('█');
  assert.ok(offset >= 0);
  return { text: doc.slice(0, offset) + doc.slice(offset + 1), offset };
}

function body(doc: string, language: string): { name?: string; body: string; header: string } {
  const { text, offset } = at(doc);
  const span = findEnclosingFunction(text, offset, language);
  assert.ok(span, 'expected a function');
  return {
    name: span.name,
    body: text.slice(span.bodyStart, span.bodyEnd),
    header: text.slice(span.headerStart, span.bodyStart),
  };
}

describe('findEnclosingFunction', () => {
  describe('Python (indentation)', () => {
    const py = [
      'import os',
      '',
      '@cache',
      'def outer(a,',
      '          b):',
      '    x = a█ + b',
      '',
      '    def inner():',
      '        return 1',
      '    return x',
      '',
      'def other():',
      '    pass',
      '',
    ].join('\n');

    it('finds the function around the cursor, its decorator and its whole body', () => {
      const r = body(py, 'python');
      assert.equal(r.name, 'outer');
      assert.equal(r.body, '    x = a + b\n\n    def inner():\n        return 1\n    return x');
      assert.ok(r.header.startsWith('@cache\ndef outer(a,'));
    });

    it('prefers the innermost function', () => {
      const r = body(py.replace('x = a█ + b', 'x = a + b').replace('return 1', 'return █1'), 'python');
      assert.equal(r.name, 'inner');
      assert.equal(r.body, '        return 1');
    });

    it('does not take a sibling that ended above the cursor', () => {
      const { text, offset } = at('def a():\n    pass\n\nx = 1█\n');
      assert.equal(findEnclosingFunction(text, offset, 'python'), undefined);
    });

    it('keeps a docstring out of the body and reports its content', () => {
      const { text, offset } = at('def f():\n    """Say hi."""\n    print("hi")█\n');
      const span = findEnclosingFunction(text, offset, 'python');
      assert.ok(span?.docstring);
      assert.equal(text.slice(span.docstring.start, span.docstring.end), 'Say hi.');
      assert.equal(text.slice(span.bodyStart, span.bodyEnd), '    print("hi")');
    });

    it('finds the function from its header line', () => {
      const r = body('async def ru█n(self) -> None:\n    await go()\n', 'python');
      assert.equal(r.name, 'run');
      assert.equal(r.body, '    await go()');
    });
  });

  describe('braces (TS, JS, Rust, Go)', () => {
    it('finds a TS method and skips the if-block around the cursor', () => {
      const r = body(
        'class A {\n  @log()\n  sum(xs: number[]): number {\n    if (xs) {\n      return █0;\n    }\n  }\n}\n',
        'typescript',
      );
      assert.equal(r.name, 'sum');
      assert.equal(r.body, '\n    if (xs) {\n      return 0;\n    }\n  ');
      assert.ok(r.header.startsWith('  @log()\n  sum('));
    });

    it('finds an arrow function assigned to a const', () => {
      const r = body('const add = (a: number, b: number) => {\n  return a + █b;\n};\n', 'typescript');
      assert.equal(r.name, 'add');
      assert.equal(r.body, '\n  return a + b;\n');
    });

    it('ignores braces inside strings and comments', () => {
      const r = body('function f() {\n  // }\n  const s = "}";█\n}\n', 'javascript');
      assert.equal(r.name, 'f');
      assert.equal(r.body, '\n  // }\n  const s = "}";\n');
    });

    it('finds a Rust fn with a return type', () => {
      const r = body('fn add(a: i32, b: i32) -> i32 {\n    a █+ b\n}\n', 'rust');
      assert.equal(r.name, 'add');
      assert.equal(r.body, '\n    a + b\n');
    });

    it('finds a Go method', () => {
      const r = body('func (s *S) Len() int {\n\treturn █len(s.xs)\n}\n', 'go');
      assert.equal(r.name, 'Len');
    });

    it('returns nothing outside any function', () => {
      const { text, offset } = at('const x = {\n  a: █1,\n};\n');
      assert.equal(findEnclosingFunction(text, offset, 'typescript'), undefined);
    });
  });
});

describe('locateFunctionAt (symbol ranges)', () => {
  it('finds the body of a TS function from a symbol start', () => {
    const text = 'export function f(o = { a: 1 }): void {\n  g(o);\n}\n';
    const span = locateFunctionAt(text, 0, 'typescript');
    assert.ok(span);
    assert.equal(text.slice(span.bodyStart, span.bodyEnd), '\n  g(o);\n');
  });

  it('finds the body of a Python function from a symbol start', () => {
    const text = 'x = 1\n\ndef f():\n    return x\n';
    const span = locateFunctionAt(text, text.indexOf('def'), 'python');
    assert.ok(span);
    assert.equal(text.slice(span.bodyStart, span.bodyEnd), '    return x');
  });
});

describe('findEnclosingFunction on large documents', () => {
  /** The result and the milliseconds it took: generous limits catch a quadratic scan, not a slow machine. */
  function timed<T>(find: () => T): { result: T; ms: number } {
    const started = performance.now();
    const result = find();
    return { result, ms: performance.now() - started };
  }

  it('returns quickly for 20 000 unclosed Python signatures', () => {
    const text = 'def f(a,\n'.repeat(20_000);
    for (const offset of [text.length, text.length >> 1]) {
      const { result, ms } = timed(() => findEnclosingFunction(text, offset, 'python'));
      assert.equal(result, undefined);
      assert.ok(ms < 1000, `took ${Math.round(ms)} ms at offset ${offset}`);
    }
  });

  it('finds a function far down a long document, with offsets into the whole text', () => {
    const filler = 'x = 1\n'.repeat(20_000);
    const py = body(`${filler}def tail(a):\n    return a█\n`, 'python');
    assert.equal(py.name, 'tail');
    assert.equal(py.body, '    return a');
    const js = body(`${'// filler\n'.repeat(20_000)}function tail() {\n  return █1;\n}\n`, 'javascript');
    assert.equal(js.name, 'tail');
    assert.equal(js.body, '\n  return 1;\n');
  });

  it('reads a Python body longer than its window to the end', () => {
    const lines = 20_000;
    const r = body(`def big():\n    x = █1\n${'    x = 1\n'.repeat(lines)}y = 2\n`, 'python');
    assert.equal(r.name, 'big');
    assert.equal(r.body.split('\n').length, lines + 1);
  });
});
