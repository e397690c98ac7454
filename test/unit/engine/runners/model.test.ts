import * as assert from 'node:assert/strict';
import { canvasOffset, contextTokens } from '../../../../src/engine/runners/model';

describe('engine/runners/model: layout', () => {
  const layout = { head: [2, 5], prefix: [10, 11, 12], canvasLength: 4, suffix: [20, 21], tail: [3] };

  it('context positions skip the canvas', () => {
    assert.equal(canvasOffset(layout), 5);
    assert.deepEqual(contextTokens(layout), { ids: [2, 5, 10, 11, 12, 20, 21, 3], positions: [0, 1, 2, 3, 4, 9, 10, 11] });
  });
});
