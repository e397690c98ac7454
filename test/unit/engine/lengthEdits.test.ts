/**
 * DreamOn's length edits on a canvas: a committed expand token becomes two masked positions, a
 * committed delete token is removed, the canvas never grows past its cap, and the expand token is
 * no candidate where the canvas may not grow.
 */
import * as assert from 'node:assert/strict';
import { Canvas } from '../../../src/engine/canvas';
import { bannedThisPass, editLength, type LengthEditRule } from '../../../src/engine/sampler/lengthEdits';

const MASK = 0;
const EXPAND = 7;
const DELETE = 8;
const rule = (maxLength: number): LengthEditRule => ({ expand: EXPAND, delete: DELETE, maxLength });

/** A canvas from ids, `MASK` left masked, the others committed at pass 3 with confidence 0.5. */
function canvasOf(ids: number[]): Canvas {
  const c = new Canvas(ids.length, MASK, new Set([1]));
  ids.forEach((t, i) => t !== MASK && c.commit(i, t, 0.5, 3));
  return c;
}

describe('engine/sampler/lengthEdits', () => {
  it('turns a committed expand token into two masked positions, keeping the other commits in order', () => {
    const edit = editLength(canvasOf([20, EXPAND, MASK, 21]), rule(8));
    assert.deepEqual([...edit.canvas.ids], [20, MASK, MASK, MASK, 21]);
    assert.deepEqual([...edit.canvas.committed], [1, 0, 0, 0, 1]);
    assert.deepEqual([...edit.canvas.commitPass], [3, -1, -1, -1, 3]);
    assert.equal(edit.canvas.commitConfidence[4], 0.5);
    assert.deepEqual([edit.expanded, edit.deleted], [1, 0]);
  });

  it('removes a committed delete token', () => {
    const edit = editLength(canvasOf([20, DELETE, MASK, DELETE]), rule(8));
    assert.deepEqual([...edit.canvas.ids], [20, MASK]);
    assert.deepEqual([edit.expanded, edit.deleted], [0, 2]);
  });

  it('applies deletions before expansions, and grows only up to the cap: an expand past it stays one masked position', () => {
    // Length 5, one deletion → 4; cap 6 leaves room for two of the three expansions (the leftmost).
    const edit = editLength(canvasOf([EXPAND, DELETE, EXPAND, 20, EXPAND]), rule(6));
    assert.deepEqual([...edit.canvas.ids], [MASK, MASK, MASK, MASK, 20, MASK]);
    assert.equal(edit.canvas.length, 6);
    assert.deepEqual([edit.expanded, edit.deleted], [2, 1]);
  });

  it('returns the same canvas where nothing is to edit (a masked position is never edited)', () => {
    const canvas = canvasOf([20, MASK, 21]);
    const edit = editLength(canvas, rule(8));
    assert.equal(edit.canvas, canvas);
    assert.deepEqual([edit.expanded, edit.deleted], [0, 0]);
  });

  it('bans the expand token at the cap and on the last pass, and only there', () => {
    const banned = new Uint8Array(10);
    banned[MASK] = 1;
    assert.equal(bannedThisPass(banned, canvasOf([MASK, MASK]), 5, rule(3)), undefined);
    for (const [canvas, passesLeft] of [
      [canvasOf([MASK, MASK, MASK]), 5],
      [canvasOf([MASK, MASK]), 1],
    ] as const) {
      const out = bannedThisPass(banned, canvas, passesLeft, rule(3))!;
      assert.equal(out[EXPAND], 1);
      assert.equal(out[MASK], 1);
      assert.equal(out[DELETE], 0);
    }
    assert.equal(banned[EXPAND], 0, 'the setup\'s own list is left as it was');
  });
});
