import { strict as assert } from 'node:assert';
import { findEnclosingFunction } from '../../../src/completion/functionFinder';
import { docCommentHole, functionBodyHole, holeContext, renderHole } from '../../../src/completion/holes';

function spanOf(text: string, marker: string, language: string) {
  const span = findEnclosingFunction(text, text.indexOf(marker), language);
  assert.ok(span, 'expected a function');
  return span;
}

/** The document after replacing the hole's range with the rendered middle. */
function apply(text: string, hole: ReturnType<typeof docCommentHole>, middle: string): string | undefined {
  const rendered = renderHole(hole, middle);
  return rendered === undefined ? undefined : text.slice(0, hole.start) + rendered + text.slice(hole.end);
}

describe('holes', () => {
  describe('Python docstring', () => {
    const py = 'def add(a, b):\n    return a + b\n';

    it('frames the hole right after the signature', () => {
      const hole = docCommentHole(py, spanOf(py, 'return', 'python'), 'python');
      const ctx = holeContext(py, hole);
      assert.equal(ctx.prefix, 'def add(a, b):\n    """');
      assert.equal(ctx.suffix, '"""\n    return a + b\n');
    });

    it('inserts a one-line docstring', () => {
      const hole = docCommentHole(py, spanOf(py, 'return', 'python'), 'python');
      assert.equal(apply(py, hole, 'Add two numbers.  '), 'def add(a, b):\n    """Add two numbers."""\n    return a + b\n');
    });

    it('closes a multi-line docstring on its own line and stops at closing quotes the model wrote', () => {
      const hole = docCommentHole(py, spanOf(py, 'return', 'python'), 'python');
      assert.equal(
        apply(py, hole, 'Add.\n\n    Returns the sum.\n"""\nextra'),
        'def add(a, b):\n    """Add.\n\n    Returns the sum.\n    """\n    return a + b\n',
      );
    });

    it('replaces the content of an existing docstring', () => {
      const text = 'def f():\n    """Old."""\n    pass\n';
      const hole = docCommentHole(text, spanOf(text, 'pass', 'python'), 'python');
      assert.equal(apply(text, hole, 'New.'), 'def f():\n    """New."""\n    pass\n');
    });

    it('gives a one-line function its own lines', () => {
      const text = 'def f(): return 1\n';
      const hole = docCommentHole(text, spanOf(text, 'return', 'python'), 'python');
      assert.equal(apply(text, hole, 'One.'), 'def f(): \n    """One."""\n    return 1\n');
    });

    it('gives nothing for an empty middle', () => {
      const hole = docCommentHole(py, spanOf(py, 'return', 'python'), 'python');
      assert.equal(renderHole(hole, '  \n '), undefined);
    });
  });

  describe('JSDoc', () => {
    const ts = 'class A {\n  sum(xs: number[]): number {\n    return 0;\n  }\n}\n';

    it('frames the hole above the header at its indentation', () => {
      const hole = docCommentHole(ts, spanOf(ts, 'return', 'typescript'), 'typescript');
      const ctx = holeContext(ts, hole);
      assert.ok(ctx.prefix.endsWith('class A {\n  /**\n   * '));
      assert.ok(ctx.suffix.startsWith('\n   */\n  sum('));
    });

    it('stars continuation lines and stops at a closing */', () => {
      const hole = docCommentHole(ts, spanOf(ts, 'return', 'typescript'), 'typescript');
      assert.equal(
        apply(ts, hole, 'Sums the numbers.\n@param xs the numbers\n */ junk'),
        'class A {\n  /**\n   * Sums the numbers.\n   * @param xs the numbers\n   */\n  sum(xs: number[]): number {\n    return 0;\n  }\n}\n',
      );
    });

    it('replaces an existing doc comment', () => {
      const text = '/**\n * Old.\n */\nfunction f() {\n  return 1;\n}\n';
      const hole = docCommentHole(text, spanOf(text, 'return', 'javascript'), 'javascript');
      assert.equal(apply(text, hole, 'New.'), '/**\n * New.\n */\nfunction f() {\n  return 1;\n}\n');
    });
  });

  it('uses /// line comments for Rust', () => {
    const text = 'fn one() -> i32 {\n    1\n}\n';
    const hole = docCommentHole(text, spanOf(text, '1\n', 'rust'), 'rust');
    assert.equal(apply(text, hole, 'One.\nAlways.'), '/// One.\n/// Always.\nfn one() -> i32 {\n    1\n}\n');
  });

  it('frames a function body as the hole between signature and closer', () => {
    const text = 'function f(a) {\n  return a;\n}\n';
    const hole = functionBodyHole(spanOf(text, 'return', 'javascript'));
    assert.deepEqual(holeContext(text, hole), { prefix: 'function f(a) {', suffix: '}\n' });
    assert.equal(apply(text, hole, '\n  return a * 2;\n'), 'function f(a) {\n  return a * 2;\n}\n');
  });
});
