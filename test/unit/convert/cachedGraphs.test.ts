/**
 * The cached mode's context and denoise graphs, run by onnxruntime beside the full graph on tiny
 * random checkpoints: the three share one weights file, the context graph gives every position's
 * keys and values, and the denoise graph over a block, against the keys and values of the other
 * positions of the same sequence, gives the full graph's rows for that block.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildContextGraph, buildDenoiseGraph } from '../../../src/convert/cachedGraphs';
import { selectFamily } from '../../../src/convert/families';
import { expectedTensors } from '../../../src/convert/families/family';
import { encodeModel } from '../../../src/convert/onnx';
import { buildTransformer } from '../../../src/convert/transformer';
import { WeightsLayout, writeWeights } from '../../../src/convert/weightsFile';
import { withoutPositions } from '../../../src/engine/runners/cached';
import { DREAM_SPEC, FAST_DLLM_V2_SPEC, LLADA_SPEC, SDAR_SPEC, TinySpec, configFor, headSize, memoryCheckpoint } from './tinyCheckpoint';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-cached-graphs-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const IDS = [3, 17, 0, 41, 8, 8, 29, 1, 45, 12, 5];
const ids = (values: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);

async function writeGraphs(spec: TinySpec): Promise<{ layout: WeightsLayout; sessions: Record<'full' | 'context' | 'denoise', ort.InferenceSession> }> {
  const config = configFor(spec);
  const plan = selectFamily(config).plan(config);
  const layout = new WeightsLayout('model.onnx.data');
  const parts = { full: buildTransformer(plan, 'fp32', layout), context: buildContextGraph(plan, 'fp32', layout), denoise: buildDenoiseGraph(plan, 'fp32', layout) };
  for (const [name, graph] of Object.entries(parts)) fs.writeFileSync(path.join(tmp, `${name}.onnx`), encodeModel(graph));
  await writeWeights(path.join(tmp, 'model.onnx.data'), layout, memoryCheckpoint(path.join(tmp, 'hf'), spec));
  const open = (name: string) => ort.InferenceSession.create(path.join(tmp, `${name}.onnx`));
  return { layout, sessions: { full: await open('full'), context: await open('context'), denoise: await open('denoise') } };
}

describe('convert/cachedGraphs: the cached mode’s context and denoise graphs', function () {
  this.timeout(60000);

  const t = IDS.length;
  // A block-causal model's canvas is the sequence's end (it takes no suffix): one block, several, one started by the prefix.
  const canvases = { dream: [[3, 4], [0, 2], [t - 3, 3]], llada: [[3, 4], [0, 2], [t - 3, 3]], sdar: [[t - 3, 3], [t - 7, 7], [t - 1, 1]], 'fast-dllm-v2': [[t - 3, 3], [t - 7, 7], [t - 1, 1]] } as const;
  for (const spec of [DREAM_SPEC, LLADA_SPEC, SDAR_SPEC, FAST_DLLM_V2_SPEC]) {
    it(`${spec.family}: a denoised block against the rest's keys/values gives the full graph's rows`, async () => {
      const { layout, sessions } = await writeGraphs(spec);
      try {
        const config = configFor(spec);
        // Each weight is placed once and read by all three graphs.
        assert.equal(layout.tensors.length, expectedTensors(selectFamily(config).plan(config)).size);
        const full = (await sessions.full.run({ input_ids: ids(IDS) })).logits as ort.Tensor;
        const kv = await sessions.context.run({ input_ids: ids(IDS) });
        const d = headSize(spec);
        assert.deepEqual((kv.keys as ort.Tensor).dims, [spec.layers, 1, spec.kvHeads, t, d]);
        assert.deepEqual((kv.values as ort.Tensor).dims, [spec.layers, 1, spec.kvHeads, t, d]);
        for (const [start, q] of canvases[spec.family]) {
          const cut = (x: ort.Tensor) => new ort.Tensor('float32', withoutPositions(x.data as Float32Array, spec.layers * spec.kvHeads, t, d, start, q), [spec.layers, 1, spec.kvHeads, t - q, d]);
          const positions = Array.from({ length: q }, (_, i) => start + i);
          const out = await sessions.denoise.run({
            canvas_ids: ids(IDS.slice(start, start + q)),
            canvas_position_ids: ids(positions),
            keys: cut(kv.keys as ort.Tensor),
            values: cut(kv.values as ort.Tensor),
          });
          const logits = out.logits as ort.Tensor;
          assert.deepEqual(logits.dims, [1, q, spec.vocab]);
          const expected = (full.data as Float32Array).subarray(start * spec.vocab, (start + q) * spec.vocab);
          const diff = Math.max(...Array.from(logits.data as Float32Array, (x, i) => Math.abs(x - expected[i]!)));
          assert.ok(diff < 1e-4, `block at ${start}: max difference ${diff}`);
        }
      } finally {
        await Promise.all(Object.values(sessions).map((s) => s.release()));
      }
    });
  }

  it('withoutPositions drops a block of positions from every layer and head', () => {
    // 2 blocks of 4 tokens × d 1: [0 1 2 3] [10 11 12 13] less positions 1 and 2.
    const data = Float32Array.from([0, 1, 2, 3, 10, 11, 12, 13]);
    assert.deepEqual(Array.from(withoutPositions(data, 2, 4, 1, 1, 2)), [0, 3, 10, 13]);
    assert.deepEqual(Array.from(withoutPositions(data, 2, 4, 1, 0, 0)), Array.from(data));
  });
});
