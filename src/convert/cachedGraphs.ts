/**
 * The cached mode's two graphs (models/README.md, "Cached mode"), built from transformer.ts's
 * pieces and sharing the full graph's weights file:
 * - `context`: input_ids int64 [1, T] → keys, values float32 [layers, 1, kvHeads, T, headDim]
 *   (after rotary embedding), the whole sequence bidirectionally at positions 0 … T−1, as the
 *   full graph computes it; the last layer stops at its keys and values.
 * - `denoise`: canvas_ids, canvas_position_ids int64 [1, Q], keys, values [layers, 1, kvHeads, C,
 *   headDim] of C other positions → logits [1, Q, V]. The Q tokens attend to the given keys/values
 *   and to their own (computed afresh), which is the split contract's denoise graph.
 * Run with the keys and values of every position but the Q, computed from the same sequence, the
 * denoise logits are the full graph's rows for those positions; with stale ones, an approximation.
 * A block-causal family masks both graphs as the full graph does; its denoise graph lets the
 * canvas see every cached position, which matches the full graph when those all precede the
 * canvas (the model takes no suffix).
 */
import type { FamilyPlan } from './families/family';
import { expectedTensors } from './families/family';
import { GraphBuilder } from './graph';
import { DataType, GraphParts, valueInfoProto } from './onnx';
import { canvasBlockMask } from './attentionMask';
import { INPUT_NAME, LayerKv, OUTPUT_NAME, decoderLayer, embedTokens, layerKv, lmHead, rotaryTables, sequenceInputs } from './transformer';
import { WeightStorage, WeightsLayout } from './weightsFile';

/** The context graph's outputs and the denoise graph's cache inputs (the split contract's names). */
export const KEYS = 'keys';
export const VALUES = 'values';
export const CANVAS_IDS = 'canvas_ids';
export const CANVAS_POSITIONS = 'canvas_position_ids';

/** Keys and values of every position of the sequence, in the split contract's cache layout. */
export function buildContextGraph(plan: FamilyPlan, storage: WeightStorage, layout: WeightsLayout, metadata?: Record<string, string>): GraphParts {
  const g = new GraphBuilder(layout, storage, expectedTensors(plan));
  const { shape, weights } = plan;
  const { rope, mask, ...input } = sequenceInputs(g, plan);
  let x = input.x;
  const perLayer: LayerKv[] = [];
  weights.layers.forEach((layer, i) => {
    if (i === weights.layers.length - 1) {
      perLayer.push(layerKv(g, shape, layer, rope, x));
      return;
    }
    const { out, kv } = decoderLayer(g, shape, layer, rope, x, undefined, mask);
    perLayer.push(kv);
    x = out;
  });
  // [kvHeads, T, d] per layer → [layers, 1, kvHeads, T, d].
  const stack = (parts: string[], output: string): string => g.named('Concat', parts.map((p) => g.op('Unsqueeze', [p, g.ints([0, 1])])), output, { axis: 0 });
  stack(perLayer.map((kv) => kv.keys), KEYS);
  stack(perLayer.map((kv) => kv.values), VALUES);
  const cache = cacheDims(plan, 'T');
  return {
    name: 'dllm_cached_context',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [valueInfoProto(INPUT_NAME, DataType.INT64, [1, 'T'])],
    outputs: [valueInfoProto(KEYS, DataType.FLOAT, cache), valueInfoProto(VALUES, DataType.FLOAT, cache)],
    metadata,
  };
}

/** Logits of Q tokens at given positions, attending to cached keys/values and to their own. */
export function buildDenoiseGraph(plan: FamilyPlan, storage: WeightStorage, layout: WeightsLayout, metadata?: Record<string, string>): GraphParts {
  const g = new GraphBuilder(layout, storage, expectedTensors(plan));
  const { shape, weights } = plan;
  let x = embedTokens(g, plan, g.op('Reshape', [CANVAS_IDS, g.ints([-1])], undefined, 'ids'));
  const positions = g.op('Reshape', [CANVAS_POSITIONS, g.ints([-1])], undefined, 'positions');
  const rope = rotaryTables(g, shape, positions);
  const cachedLength = g.op('Gather', [g.op('Shape', [KEYS]), g.ints([3])], { axis: 0 }, 'cached_length');
  const mask = plan.blockLength === undefined ? undefined : canvasBlockMask(g, positions, cachedLength, plan.blockLength);
  const layerOf = (cache: string, i: number): string =>
    g.op('Reshape', [g.op('Gather', [cache, g.ints([i], true)], { axis: 0 }), g.ints([shape.kvHeads, -1, shape.headDim])], undefined, 'past');
  weights.layers.forEach((layer, i) => {
    x = decoderLayer(g, shape, layer, rope, x, { keys: layerOf(KEYS, i), values: layerOf(VALUES, i) }, mask).out;
  });
  g.named('Unsqueeze', [lmHead(g, plan, x), g.ints([0])], OUTPUT_NAME);
  const cache = cacheDims(plan, 'C');
  return {
    name: 'dllm_cached_denoise',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [
      valueInfoProto(CANVAS_IDS, DataType.INT64, [1, 'Q']),
      valueInfoProto(CANVAS_POSITIONS, DataType.INT64, [1, 'Q']),
      valueInfoProto(KEYS, DataType.FLOAT, cache),
      valueInfoProto(VALUES, DataType.FLOAT, cache),
    ],
    outputs: [valueInfoProto(OUTPUT_NAME, DataType.FLOAT, [1, 'Q', shape.vocab])],
    metadata,
  };
}

function cacheDims(plan: FamilyPlan, tokens: string): (number | string)[] {
  return [plan.shape.layers, 1, plan.shape.kvHeads, tokens, plan.shape.headDim];
}
