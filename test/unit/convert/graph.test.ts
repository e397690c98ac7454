/**
 * The converter's graph, run by onnxruntime: tiny random checkpoints of each family, written as
 * model.onnx + external weights, must give the logits of the plain reference forward pass.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { float16BitsToFloat32, float32ToFloat16Array } from '../../../src/convert/dtypes';
import { selectFamily } from '../../../src/convert/families';
import { encodeModel } from '../../../src/convert/onnx';
import { buildTransformer } from '../../../src/convert/transformer';
import { WeightStorage, WeightsLayout, writeWeights } from '../../../src/convert/weightsFile';
import { referenceLogits } from './referenceForward';
import { DREAM_SPEC, LLADA_SPEC, TinySpec, configFor, memoryCheckpoint } from './tinyCheckpoint';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-graph-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Writes the graph and weights for `spec` and returns the logits onnxruntime computes for `ids`. */
async function runGraph(spec: TinySpec, storage: WeightStorage, ids: number[]): Promise<{ logits: Float32Array; dims: readonly number[]; weights: Map<string, Float32Array> }> {
  const checkpoint = memoryCheckpoint(path.join(tmp, 'hf'), spec);
  const plan = selectFamily(configFor(spec)).plan(configFor(spec));
  const layout = new WeightsLayout('model.onnx.data');
  const graph = buildTransformer(plan, storage, layout);
  fs.writeFileSync(path.join(tmp, 'model.onnx'), encodeModel(graph));
  await writeWeights(path.join(tmp, 'model.onnx.data'), layout, checkpoint);
  assert.equal(fs.statSync(path.join(tmp, 'model.onnx.data')).size, layout.bytes);
  const session = await ort.InferenceSession.create(path.join(tmp, 'model.onnx'));
  try {
    const input = new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
    const out = (await session.run({ input_ids: input })).logits as ort.Tensor;
    return { logits: out.data as Float32Array, dims: out.dims, weights: checkpoint.weights };
  } finally {
    await session.release();
  }
}

function maxDifference(actual: Float32Array, expected: number[][]): number {
  const v = expected[0]!.length;
  let max = 0;
  expected.forEach((row, i) => row.forEach((e, j) => (max = Math.max(max, Math.abs(actual[i * v + j]! - e)))));
  return max;
}

/** The weights as fp16 storage holds them: matrices rounded to fp16, vectors untouched. */
function roundedToFp16(weights: Map<string, Float32Array>, spec: TinySpec): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, w] of weights) {
    const isVector = /norm|ln_f|bias/.test(name) && w.length <= spec.hidden * spec.heads;
    out.set(name, isVector ? w : Float32Array.from(float32ToFloat16Array(w), float16BitsToFloat32));
  }
  return out;
}

const IDS = [3, 17, 0, 41, 8, 8, 29, 1, 45, 12, 5];

describe('convert/graph: the full-contract transformer graph', function () {
  this.timeout(60000);

  it('gives the Dream family reference logits (GQA, q/k/v biases, untied head)', async () => {
    const { logits, dims, weights } = await runGraph(DREAM_SPEC, 'fp32', IDS);
    assert.deepEqual(dims, [1, IDS.length, DREAM_SPEC.vocab]);
    assert.ok(maxDifference(logits, referenceLogits(DREAM_SPEC, weights, IDS)) < 1e-4);
  });

  it('gives the LLaDA family reference logits (no biases, ff_proj gated)', async () => {
    const { logits, dims, weights } = await runGraph(LLADA_SPEC, 'fp32', IDS);
    assert.deepEqual(dims, [1, IDS.length, LLADA_SPEC.vocab]);
    assert.ok(maxDifference(logits, referenceLogits(LLADA_SPEC, weights, IDS)) < 1e-4);
  });

  it('reads a tied head from the embedding table, written once', async () => {
    const spec: TinySpec = { ...DREAM_SPEC, tied: true, kvHeads: 1 };
    const { logits, weights } = await runGraph(spec, 'fp32', IDS);
    assert.ok(maxDifference(logits, referenceLogits(spec, weights, IDS)) < 1e-4);
  });

  it('runs LLaDA with include_qkv_bias and grouped heads', async () => {
    const spec: TinySpec = { ...LLADA_SPEC, qkvBias: true, kvHeads: 2 };
    const { logits, weights } = await runGraph(spec, 'fp32', IDS);
    assert.ok(maxDifference(logits, referenceLogits(spec, weights, IDS)) < 1e-4);
  });

  it('computes with fp16-stored matrices exactly as fp32 compute over the rounded weights', async () => {
    for (const spec of [DREAM_SPEC, { ...LLADA_SPEC, tied: true }]) {
      const { logits, weights } = await runGraph(spec, 'fp16', IDS);
      assert.ok(maxDifference(logits, referenceLogits(spec, roundedToFp16(weights, spec), IDS)) < 1e-4, spec.family);
    }
  });

  it('takes any sequence length, one token included', async () => {
    for (const ids of [[7], IDS.concat(IDS, IDS)]) {
      const { logits, dims, weights } = await runGraph(DREAM_SPEC, 'fp32', ids);
      assert.deepEqual(dims, [1, ids.length, DREAM_SPEC.vocab]);
      assert.ok(maxDifference(logits, referenceLogits(DREAM_SPEC, weights, ids)) < 1e-4);
    }
  });
});
