import { strict as assert } from 'node:assert';
import { postProcessInline, type InlineInput } from '../../../src/completion/postprocess';

/** Splits a document at the cursor marker `█` into prefix and suffix. */
function at(doc: string): { prefix: string; suffix: string } {
  const i = doc.indexOf('█');
  assert.ok(i >= 0, 'test document needs a cursor marker');
  return { prefix: doc.slice(0, i), suffix: doc.slice(i + 1) };
}

function run(doc: string, completion: string, extra: Partial<InlineInput> = {}) {
  return postProcessInline({ ...at(doc), completion, ...extra });
}

function shows(doc: string, completion: string, expected: string, extra: Partial<InlineInput> = {}) {
  const result = run(doc, completion, extra);
  assert.equal(result.reason, undefined, `unexpected reason: ${result.reason}`);
  assert.equal(result.text, expected);
}

function hides(doc: string, completion: string, reasonPart: string, extra: Partial<InlineInput> = {}) {
  const result = run(doc, completion, extra);
  assert.equal(result.text, undefined, `expected nothing, got ${JSON.stringify(result.text)}`);
  assert.match(result.reason ?? '', new RegExp(reasonPart));
}

describe('postProcessInline', () => {
  describe('empty results', () => {
    it('returns a reason for an empty middle', () => hides('x = █\n', '', 'empty'));
    it('returns a reason for a whitespace-only middle', () => hides('x = █\n', '  \n\t\n', 'whitespace'));
    it('returns a reason for a cancelled infill', () =>
      hides('x = █\n', 'partial', 'cancelled', { finishReason: 'cancelled' }));
  });

  describe('single line when the cursor has text to its right', () => {
    it('keeps only the first line', () => shows('print(█)\n', 'a, b\nfoo()', 'a, b'));

    it('drops a closer the rest of the line already provides (Python)', () =>
      shows('total = sum(█)\n', 'values)', 'values'));

    it('keeps closers that the completion itself opened', () => shows('x = f(█)\n', 'g(1))', 'g(1)'));

    it('cuts where a closer closes beyond the completion (TS)', () =>
      shows('const n = Math.max(█);\n', 'a, b) + 1;', 'a, b'));

    it('drops a closing quote and semicolon already in the line', () =>
      shows("const s = '█';\n", "hello';", 'hello'));

    it('returns nothing when the completion starts a new line', () =>
      hides('call(█)\n', '\n  arg', 'new line'));

    it('returns nothing when the suggestion repeats the rest of the line', () =>
      hides('foo(█bar)\n', 'bar)', 'repeats the text to the right'));

    it('keeps a trailing space before a word', () => shows('x = █foo\n', '1 + ', '1 + '));

    it('trims trailing whitespace before existing whitespace', () => shows('x = █ # note\n', '42   ', '42'));
  });

  describe('multi-line at the end of a line', () => {
    it('cuts a Python function body where the next definition starts', () =>
      shows(
        'def add(a, b):█\n',
        '\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n',
        '\n    return a + b',
      ));

    it('continues a Python block at its own indentation and stops at a dedent', () =>
      shows(
        'def f(xs):\n    total = 0█\n',
        '\n    for x in xs:\n        total += x\n    return total\n\nprint(f([1]))',
        '\n    for x in xs:\n        total += x\n    return total',
      ));

    it('completes a blank indented line and stops at the dedent', () =>
      shows('class A:\n    def m(self):\n        █\n', 'return 1\n\n    def n(self):\n        pass', 'return 1'));

    it('starts at the cursor on an indented blank line when the model began with a line break', () =>
      shows('def f(x):\n    y = x\n    █\n', '\n    return y\n\nprint(1)', 'return y'));

    it('does not take a comment ending with a colon for a block opener', () =>
      shows('def f():\n    # Steps:█\n', '\n    a = 1\n    b = 2', '\n    a = 1\n    b = 2'));

    it('cuts a Python if-block before its else', () =>
      shows(
        'def f(x):\n    if x:█\n',
        '\n        a()\n    else:\n        b()',
        '\n        a()',
      ));

    it('drops a TS closing brace that the suffix already has', () =>
      shows('function f(): number {█\n}\n', '\n  return 1;\n}\n\nfunction g() {}', '\n  return 1;'));

    it('keeps a TS closing brace the suffix lacks', () =>
      shows('function f(): number {█\n', '\n  return 1;\n}\nfunction g() {}', '\n  return 1;\n}'));

    it('does not take an inner closer for the outer one in the suffix', () =>
      shows('function f() {\n  if (a) {█\n}\n', '\n    b();\n  }\n', '\n    b();\n  }'));

    it('drops a closing bracket the suffix provides after the items', () =>
      shows('const xs = [█\n];\n', '\n  1,\n  2,\n]', '\n  1,\n  2,'));

    it('limits the number of lines', () =>
      shows('def f():█\n', '\n    a = 1\n    b = 2\n    c = 3\n    d = 4', '\n    a = 1\n    b = 2', { maxLines: 3 }));

    it('trims trailing whitespace on every line', () =>
      shows('def f():█\n', '\n    a = 1   \n    return a \t\n', '\n    a = 1\n    return a'));

    it('drops the cut-off last line when the canvas ran out', () =>
      shows('def f():█\n', '\n    a = 1\n    return a +', '\n    a = 1', { finishReason: 'length' }));

    it('keeps a single line when the canvas ran out', () =>
      shows('x = █\n', 'compute(1, 2', 'compute(1, 2', { finishReason: 'length' }));
  });

  describe('repeating the suffix', () => {
    it('returns nothing when the suggestion is the next line (Python)', () =>
      hides('def f(a, b):\n    █\n    return a + b\n', 'return a + b', 'repeats the lines below'));

    it('returns nothing when the suggestion is the next lines (TS)', () =>
      hides('function f() {\n  const x = 1;█\n  return x;\n}\n', '\n  return x;\n}', 'repeats'));

    it('keeps the new part and drops the repeated tail', () =>
      shows('def f(x):\n    y = x█\n    return y\n', '\n    y += 1\n    return y', '\n    y += 1'));
  });

  describe('indentation of the surroundings', () => {
    it('rewrites space indentation to tabs for a tab-indented editor', () =>
      shows('function f() {█\n}\n', '\n    if (a) {\n        b();\n    }', '\n\tif (a) {\n\t\tb();\n\t}', {
        indent: { useTabs: true, tabSize: 4 },
      }));

    it('rewrites tabs to spaces for a space-indented editor', () =>
      shows('def f():█\n', '\n\treturn 1', '\n  return 1', { indent: { useTabs: false, tabSize: 2 } }));
  });

  it('accepts CRLF from the model', () => shows('def f():█\n', '\r\n    return 1\r\n', '\n    return 1'));
});
