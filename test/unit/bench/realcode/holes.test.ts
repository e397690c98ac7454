import { strict as assert } from 'node:assert';
import { mulberry32 } from '../../../../src/engine/sampler/random';
import { findHoles, holeLimits, type Hole, type HolesByKind } from '../../../../bench/realcode/builder/holes';
import { classifyLines } from '../../../../bench/realcode/builder/lex';
import { python, typescript } from './fixtures';

const at = (text: string, hole: Hole) => text.slice(hole.start, hole.end);
const lineOf = (text: string, n: number) => text.split('\n')[n];
const holesIn = (text: string, language: 'python' | 'typescript' | 'rust' | 'go') => findHoles(text, language, mulberry32(1));

describe('real-code benchmark: holes', () => {
  const py = holesIn(python, 'python');
  const ts = holesIn(typescript, 'typescript');

  it('cuts the rest of a line after its indentation and a word, never inside a word', () => {
    for (const [text, holes] of [[python, py], [typescript, ts]] as const) {
      assert.ok(holes.lineRest.length > 0);
      for (const h of holes.lineRest) {
        const line = lineOf(text, h.line);
        const lineStart = text.lastIndexOf('\n', h.start - 1) + 1;
        const before = text.slice(lineStart, h.start);
        assert.equal(before + at(text, h), line, 'the middle is the rest of the line');
        assert.match(before, /^\s*\S*[\w$]/, 'indentation and a word come first');
        assert.ok(!(/[\w$]$/.test(before) && /^[\w$]/.test(at(text, h))), `cut inside a word: ${before}|${at(text, h)}`);
        const { minChars, maxChars } = holeLimits.lineRest;
        assert.ok(h.end - h.start >= minChars && h.end - h.start <= maxChars);
      }
    }
  });

  it('starts a whole-line hole after the indentation, as after pressing Enter', () => {
    const h = py.line.find((x) => at(python, x) === 'result = start');
    assert.ok(h);
    assert.equal(python.slice(0, h.start).split('\n').pop(), '    ');
  });

  it('never cuts in the licence header, a comment, a docstring, a string or a line of closers', () => {
    for (const [text, holes, info] of [
      [python, py, classifyLines(python, 'python')],
      [typescript, ts, classifyLines(typescript, 'typescript')],
    ] as const) {
      for (const kind of ['lineRest', 'line', 'lines'] as const) {
        for (const h of holes[kind]) {
          assert.equal(info[h.line]?.kind, 'code', `${kind} at line ${h.line + 1}: ${at(text, h)}`);
          assert.match(at(text, h), /[\w$'"`]/);
        }
      }
    }
    assert.ok(!ts.line.some((h) => at(typescript, h).startsWith('}')));
    assert.ok(!py.line.some((h) => h.line < 4));
  });

  it('takes 2 to 5 whole lines, ending at the end of a line', () => {
    for (const h of ts.lines) {
      const middle = at(typescript, h);
      const count = middle.split('\n').length;
      assert.ok(count >= 2 && count <= 5 && middle.length <= holeLimits.lines.maxChars);
      assert.ok(h.end === typescript.length || typescript[h.end] === '\n');
    }
  });

  it('finds a Python body by indentation, and a brace body by its closing line', () => {
    const bodies = (text: string, holes: HolesByKind) => holes.body.map((h) => at(text, h));
    assert.ok(bodies(python, py).includes('"""Sum the values."""\n    result = start\n    for v in values:\n        result += v\n    return result'));
    assert.ok(bodies(python, py).includes('# keep a copy\n        self.items = list(items)\n        self.size = len(self.items)'));
    assert.ok(bodies(typescript, ts).some((b) => b.startsWith('if (value < low) {') && b.endsWith('return Math.min(value, high);')));
    // An interface is not code; a body whose indentation ends before its `}` is misindented.
    assert.ok(!bodies(typescript, ts).some((b) => b.startsWith('width')));
    assert.ok(!bodies(typescript, ts).some((b) => b.startsWith('const a = 1')));
    const body = py.body.find((h) => at(python, h).startsWith('"""Sum'));
    assert.ok(body);
    assert.equal(python.slice(0, body.start).split('\n').slice(-2).join('\n'), 'def total(values, start=0):\n    ');
  });

  it('finds Go bodies in tab-indented code', () => {
    const go = ['package x', '', 'func Max(a, b int) int {', '\tif a > b {', '\t\treturn a', '\t}', '\treturn b', '}', ''].join('\n');
    const holes = holesIn(go, 'go');
    assert.deepEqual(holes.body.map((h) => at(go, h)), ['if a > b {\n\t\treturn a\n\t}\n\treturn b']);
  });

  it('gives the same holes for the same seed', () => {
    assert.deepEqual(findHoles(typescript, 'typescript', mulberry32(9)), findHoles(typescript, 'typescript', mulberry32(9)));
  });
});
