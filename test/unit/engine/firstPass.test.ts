import * as assert from 'node:assert/strict';
import { firstPassDump, topLogits } from '../../../src/engine/firstPass';
import { firstPassTopK } from '../../../src/protocol/firstPass';

describe('engine/firstPass', () => {
  it('keeps the k largest logits, largest first, ties in id order', () => {
    const row = Float32Array.from([0.5, 3, -1, 3, 2, 7, 0]);
    assert.deepEqual(topLogits(row, 3), [[5, 7], [1, 3], [3, 3]]);
    assert.deepEqual(topLogits(row, 10).map(([id]) => id), [5, 1, 3, 4, 0, 6, 2]);
  });

  it('agrees with a full sort on a random row', () => {
    let state = 7;
    const row = Float32Array.from({ length: 5000 }, () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) * 20 - 10);
    const sorted = [...row].map((v, id) => [id, v] as [number, number]).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    assert.deepEqual(topLogits(row, firstPassTopK), sorted.slice(0, firstPassTopK));
  });

  it('lays the sequence out in position order with the canvas masked, skipping the gap in positions', () => {
    const v = 30;
    const logits = new Float32Array(2 * v);
    logits[7] = 5; // canvas position 0 prefers id 7
    logits[v + 9] = 4; // canvas position 1 prefers id 9
    const dump = firstPassDump({ head: [1], prefix: [10, 11], canvasLength: 2, suffixGap: 3, suffix: [12], tail: [2] }, 0, logits, v);
    assert.deepEqual(dump.tokens, [1, 10, 11, 0, 0, 12, 2]);
    assert.deepEqual(dump.positions, [0, 1, 2, 3, 4, 8, 9]);
    assert.equal(dump.canvasStart, 3);
    assert.equal(dump.topk.length, 2);
    assert.deepEqual(dump.topk[0]![0], [7, 5]);
    assert.deepEqual(dump.topk[1]![0], [9, 4]);
    assert.equal(dump.topk[0]!.length, firstPassTopK);
  });
});
