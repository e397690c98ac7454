import * as assert from 'node:assert/strict';
import { Canvas } from '../../../src/engine/canvas';

describe('engine/canvas', () => {
  const decode = (ids: readonly number[]) => ids.map((i) => String.fromCharCode(96 + i)).join('');

  it('the middle ends at the first pad; later positions do not matter', () => {
    const c = new Canvas(6, 0, new Set([1]));
    assert.equal(c.activeLength(), 6);
    c.commit(0, 2, 0.9, 0);
    c.commit(2, 1, 0.8, 0);
    assert.equal(c.firstEnd(), 2);
    assert.deepEqual(c.maskedActive(), [1]);
    assert.equal(c.isDone(), false);
    c.commit(1, 3, 0.7, 1);
    assert.equal(c.isDone(), true);
    assert.deepEqual(c.middleTokens(), [2, 3]);
    c.remask(2);
    assert.equal(c.isDone(), false);
    assert.deepEqual(c.maskedActive(), [2, 3, 4, 5]);
    assert.equal(c.commitPass[2], -1);
  });

  it('progress text shows masked positions as the glyph, up to the first pad', () => {
    const c = new Canvas(6, 0, new Set([1]));
    c.commit(0, 2, 0.9, 0);
    c.commit(1, 3, 0.9, 0);
    c.commit(3, 4, 0.9, 0);
    c.commit(5, 1, 0.9, 0);
    assert.equal(c.progressText(decode, '_'), 'bc_d_');
    assert.deepEqual(c.middleTokens(), [2, 3], 'a cancelled run keeps the committed start');
    assert.equal(c.committedCount(), 4);
  });
});
