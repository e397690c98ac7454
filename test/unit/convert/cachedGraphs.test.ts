/**
 * The cached mode's graph, run by onnxruntime beside the full graph on tiny random checkpoints: the
 * two share one weights file; over the whole sequence with no past, the cached graph gives the
 * full graph's rows (only those asked for) and every position's keys and values; over a block,
 * against the keys and values of the other positions of the same sequence, the full graph's rows
 * for that block.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildCachedGraph } from '../../../src/convert/cachedGraphs';
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
const ints = (values: number[], dims = [1, values.length]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

async function writeGraphs(spec: TinySpec): Promise<{ layout: WeightsLayout; sessions: Record<'full' | 'cached', ort.InferenceSession> }> {
  const config = configFor(spec);
  const plan = selectFamily(config).plan(config);
  const layout = new WeightsLayout('model.onnx.data');
  const parts = { full: buildTransformer(plan, 'fp32', layout), cached: buildCachedGraph(plan, 'fp32', layout) };
  for (const [name, graph] of Object.entries(parts)) fs.writeFileSync(path.join(tmp, `${name}.onnx`), encodeModel(graph));
  await writeWeights(path.join(tmp, 'model.onnx.data'), layout, memoryCheckpoint(path.join(tmp, 'hf'), spec));
  const open = (name: string) => ort.InferenceSession.create(path.join(tmp, `${name}.onnx`));
  return { layout, sessions: { full: await open('full'), cached: await open('cached') } };
}

/** Largest difference between `logits` [rows × V] and the full graph's rows `rows`. */
function maxDiff(logits: Float32Array, full: Float32Array, rows: number[], v: number): number {
  let worst = 0;
  rows.forEach((r, i) => {
    for (let t = 0; t < v; t++) worst = Math.max(worst, Math.abs(logits[i * v + t]! - full[r * v + t]!));
  });
  return worst;
}

describe('convert/cachedGraphs: the cached mode’s graph', function () {
  this.timeout(60000);

  const t = IDS.length;
  // A block-causal model's canvas is the sequence's end (it takes no suffix): one block, several, one started by the prefix.
  const canvases = { dream: [[3, 4], [0, 2], [t - 3, 3]], llada: [[3, 4], [0, 2], [t - 3, 3]], sdar: [[t - 3, 3], [t - 7, 7], [t - 1, 1]], 'fast-dllm-v2': [[t - 3, 3], [t - 7, 7], [t - 1, 1]] } as const;
  for (const spec of [DREAM_SPEC, LLADA_SPEC, SDAR_SPEC, FAST_DLLM_V2_SPEC]) {
    it(`${spec.family}: the whole sequence gives the full graph's rows; a block against the rest's keys/values too`, async () => {
      const { layout, sessions } = await writeGraphs(spec);
      try {
        const config = configFor(spec);
        // Each weight is placed once and read by both graphs.
        assert.equal(layout.tensors.length, expectedTensors(selectFamily(config).plan(config)).size);
        const v = spec.vocab;
        const d = headSize(spec);
        const full = ((await sessions.full.run({ input_ids: ints(IDS) })).logits as ort.Tensor).data as Float32Array;
        const empty = new ort.Tensor('float32', new Float32Array(0), [spec.layers, 1, spec.kvHeads, 0, d]);
        const askedRows = [t - 1, 0, 4];
        const whole = await sessions.cached.run({ input_ids: ints(IDS), position_ids: ints(range(0, t)), past_keys: empty, past_values: empty, logit_rows: ints(askedRows, [askedRows.length]) });
        assert.deepEqual((whole.logits as ort.Tensor).dims, [1, askedRows.length, v]);
        const wholeDiff = maxDiff((whole.logits as ort.Tensor).data as Float32Array, full, askedRows, v);
        assert.ok(wholeDiff < 1e-4, `whole sequence: max difference ${wholeDiff}`);
        assert.deepEqual((whole.keys as ort.Tensor).dims, [spec.layers, 1, spec.kvHeads, t, d]);
        assert.deepEqual((whole.values as ort.Tensor).dims, [spec.layers, 1, spec.kvHeads, t, d]);
        for (const [start, q] of canvases[spec.family]) {
          const cut = (x: ort.Tensor) => new ort.Tensor('float32', withoutPositions(x.data as Float32Array, spec.layers * spec.kvHeads, t, d, start, q), [spec.layers, 1, spec.kvHeads, t - q, d]);
          const out = await sessions.cached.run({
            input_ids: ints(IDS.slice(start, start + q)),
            position_ids: ints(range(start, q)),
            past_keys: cut(whole.keys as ort.Tensor),
            past_values: cut(whole.values as ort.Tensor),
            logit_rows: ints(range(0, q), [q]),
          });
          const logits = out.logits as ort.Tensor;
          assert.deepEqual(logits.dims, [1, q, v]);
          const diff = maxDiff(logits.data as Float32Array, full, range(start, q), v);
          assert.ok(diff < 1e-4, `block at ${start}: max difference ${diff}`);
          assert.deepEqual((out.keys as ort.Tensor).dims, [spec.layers, 1, spec.kvHeads, q, d]);
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
