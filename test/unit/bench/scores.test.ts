import { strict as assert } from 'node:assert';
import { editSimilarity, exactMatch } from '../../../bench/lib/scores';

describe('exact match', () => {
  it('ignores trailing whitespace only', () => {
    assert.ok(exactMatch('    y = x + 1', '    y = x + 1\n'));
    assert.ok(exactMatch('    y = x + 1\n\n  ', '    y = x + 1\n'));
    assert.ok(!exactMatch('y = x + 1\n', '    y = x + 1\n'));
    assert.ok(!exactMatch('    y = x+1\n', '    y = x + 1\n'));
  });
});

describe('edit similarity', () => {
  it('is 1 − Levenshtein distance / the longer length', () => {
    assert.equal(editSimilarity('kitten', 'sitting'), 1 - 3 / 7);
    assert.equal(editSimilarity('return a + b;', 'return a - b;'), 1 - 1 / 13);
    // Insertions count against the longer text: half the reference missing is 0.5.
    assert.equal(editSimilarity('abcd', 'abcdefgh'), 0.5);
    assert.equal(editSimilarity('abcdefgh', 'abcd'), 0.5);
  });

  it('is 1 for equal texts, trailing whitespace aside, and for two empty ones', () => {
    assert.equal(editSimilarity('x = 1\n', 'x = 1'), 1);
    assert.equal(editSimilarity('', ''), 1);
    assert.equal(editSimilarity('  \n', ''), 1);
  });

  it('is 0 against an empty middle or nothing in common', () => {
    assert.equal(editSimilarity('', 'const x = 1;'), 0);
    assert.equal(editSimilarity('const x = 1;', ''), 0);
    assert.equal(editSimilarity('abc', 'xyz'), 0);
  });

  it('keeps leading whitespace, which changes the code', () => {
    assert.ok(editSimilarity('y = 1', '    y = 1') < 1);
  });
});
