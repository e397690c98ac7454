import * as assert from 'node:assert/strict';
import { logitRows } from '../../../../src/engine/runners/full';

describe('engine/runners/full: layout', () => {
  it('shifted logits read the row before each canvas position', () => {
    assert.deepEqual(logitRows(5, 3, false), [5, 6, 7]);
    assert.deepEqual(logitRows(5, 3, true), [4, 5, 6]);
    assert.deepEqual(logitRows(0, 2, true), [0, 0]);
  });
});
