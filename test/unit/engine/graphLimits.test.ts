import * as assert from 'node:assert/strict';
import { graphTokenAxes, tokenAxisShortfall } from '../../../src/engine/graphLimits';

/** Input metadata as onnxruntime-node reports it: numbers for fixed dims, names (or -1) for symbolic ones. */
function input(name: string, shape: (number | string)[]) {
  return { name, isTensor: true as const, type: 'int64' as const, shape };
}

describe('engine/graphLimits', () => {
  const axes = graphTokenAxes({ maxContextTokens: 448, maxCanvasTokens: 64 });

  it('symbolic token axes and fixed ones large enough pass', () => {
    assert.equal(tokenAxisShortfall(axes.context, [input('input_ids', [1, 'context']), input('position_ids', [1, -1])]), undefined);
    assert.equal(tokenAxisShortfall(axes.denoise, [input('canvas_ids', [1, 64]), input('canvas_position_ids', [1, 'canvas']), input('keys', [4, 1, 3, 448, 64])]), undefined);
    assert.equal(tokenAxisShortfall(axes.full, [input('input_ids', ['b', 512])]), undefined);
    assert.equal(tokenAxisShortfall(axes.context, [input('input_ids', []), input('other', [1, 2])]), undefined, 'no shape, or not a token input');
    assert.equal(tokenAxisShortfall(axes.context, [{ name: 'input_ids', isTensor: false }]), undefined);
  });

  it('a fixed token axis smaller than the manifest claims names the input, its size and the claim', () => {
    assert.match(tokenAxisShortfall(axes.context, [input('input_ids', [1, 'context']), input('position_ids', [1, 256])])!, /"position_ids" has a fixed size of 256 .*maxContextTokens = 448/);
    assert.match(tokenAxisShortfall(axes.denoise, [input('canvas_ids', [1, 32])])!, /"canvas_ids" has a fixed size of 32 .*maxCanvasTokens = 64/);
    assert.match(tokenAxisShortfall(axes.denoise, [input('keys', [4, 1, 3, 100, 64])])!, /"keys" has a fixed size of 100 on its token axis \(3\).*maxContextTokens = 448/);
    assert.match(tokenAxisShortfall(axes.full, [input('input_ids', [1, 448])])!, /"input_ids" has a fixed size of 448 .*maxContextTokens \+ maxCanvasTokens = 512/);
  });
});
