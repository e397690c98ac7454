import { strict as assert } from 'node:assert';
import { buildDocument, cursorOffsets, inlineContext, windowForTokens } from '../../../bench/lib/contexts';
import type { InfillTask } from '../../../bench/lib/tasks';

const task = (problem: number, line: number): InfillTask => ({
  task_id: `SingleLineInfilling/HumanEval/${problem}/L${line}`,
  language: 'python',
  prompt: `def f${problem}(values):\n`,
  canonical_solution: `    total = sum(values) + ${problem}\n`,
  suffix: `    return total * ${problem}\n`,
});

describe('inline-shaped contexts', () => {
  const doc = buildDocument([task(0, 0), task(0, 1), task(2, 0)]);

  it('joins one full solution per problem', () => {
    assert.equal(doc, 'def f0(values):\n    total = sum(values) + 0\n    return total * 0\n\n\ndef f2(values):\n    total = sum(values) + 2\n    return total * 2\n');
  });

  it('places the same cursors for the same seed, mid-line and past the minimum offset', () => {
    const a = cursorOffsets(doc, 20, 7, 30);
    assert.deepEqual(a, cursorOffsets(doc, 20, 7, 30));
    assert.notDeepEqual(a, cursorOffsets(doc, 20, 8, 30));
    for (const offset of a) {
      assert.ok(offset >= 30);
      const lineStart = doc.lastIndexOf('\n', offset - 1) + 1;
      const lineEnd = doc.indexOf('\n', offset);
      assert.ok(offset > lineStart && offset < lineEnd, `cursor at ${offset} is not inside a line`);
      assert.notEqual(doc.slice(lineStart, offset).trim(), '', 'cursor sits in the indentation');
    }
    assert.throws(() => cursorOffsets(doc, 1, 1, doc.length), /no line/);
  });

  it('cuts windows the way the extension does', () => {
    const offset = doc.indexOf('sum(values) + 2');
    const w = inlineContext(doc, offset, 60);
    assert.ok(doc.slice(0, offset).endsWith(w.prefix));
    assert.ok(doc.slice(offset).startsWith(w.suffix));
    assert.ok(w.prefix.length <= 45 && w.suffix.length <= 15);
    assert.ok(w.prefixCut && w.suffixCut);
  });

  it('sizes windows from a token target', () => {
    assert.equal(windowForTokens(200, 3.5), 700);
  });
});
