/**
 * Test helper: one Linear y = x · Wᵀ (+ b), built by the converter's graph builder with a weight
 * storage, written by its weights writer and run by onnxruntime, beside a float64 reference, for the
 * quantizers' tests.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../../src/convert/graph';
import { DataType, encodeModel, valueInfoProto } from '../../../src/convert/onnx';
import type { TensorInfo, TensorSource } from '../../../src/convert/tensors';
import { WeightStorage, WeightsLayout, writeWeights } from '../../../src/convert/weightsFile';
import { mulberry32 } from '../../../src/engine/sampler/random';

/** n values uniform in ±scale, from `seed`. */
export function random(n: number, seed: number, scale = 1): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

/** onnxruntime's y for x [rows, k] and W [n, k] stored as `storage`, the model written into `dir`; `ops` are the graph's nodes. */
export async function runLinear(dir: string, storage: WeightStorage, x: Float32Array, rows: number, w: Float32Array, b: Float32Array | undefined, n: number, k: number): Promise<{ y: Float32Array; ops: string[] }> {
  const layout = new WeightsLayout('model.onnx.data');
  const g = new GraphBuilder(layout, storage, new Map([['w', [n, k]], ['b', [n]]]));
  g.named('Identity', [g.linear('x', 'w', b ? 'b' : undefined)], 'y');
  const graph = { name: 'linear', nodes: g.nodes, initializers: g.initializers, inputs: [valueInfoProto('x', DataType.FLOAT, [rows, k])], outputs: [valueInfoProto('y', DataType.FLOAT, [rows, n])] };
  fs.writeFileSync(path.join(dir, 'model.onnx'), encodeModel(graph));
  const tensors = new Map<string, TensorInfo>([
    ['w', { name: 'w', dtype: 'F32', shape: [n, k] }],
    ['b', { name: 'b', dtype: 'F32', shape: [n] }],
  ]);
  const source: TensorSource = { tensors, readFloat32: (name) => (name === 'w' ? w : b!).slice() };
  await writeWeights(path.join(dir, 'model.onnx.data'), layout, source);
  assert.equal(fs.statSync(path.join(dir, 'model.onnx.data')).size, layout.bytes);
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'));
  try {
    const out = await session.run({ x: new ort.Tensor('float32', x, [rows, k]) });
    return { y: out.y!.data as Float32Array, ops: g.nodes.map((node) => `${node.domain ?? ''}:${node.opType}`) };
  } finally {
    await session.release();
  }
}

/** x · Wᵀ (+ b) in float64. */
export function referenceLinear(x: Float32Array, rows: number, w: Float32Array, b: Float32Array | undefined, n: number, k: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < n; o++) {
      let s = b?.[o] ?? 0;
      for (let i = 0; i < k; i++) s += x[r * k + i]! * w[o * k + i]!;
      y[r * n + o] = s;
    }
  }
  return y;
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
