/**
 * The full-contract graph both families share (models/README.md, "full"): input_ids int64 [1, L]
 * → logits float32 [1, L, V], bidirectional, computed in fp32. The batch is always 1, so hidden
 * states are kept as [L, H] and every Linear is one Gemm with transB, which reads the checkpoint's
 * [out, in] matrices as they are: nothing is transposed at conversion, a tied head shares the
 * embedding table, and the row layout is the one quantized MatMulNBits weights will use later.
 *
 * Per layer: h = x + o(attn(rms(x))), out = h + down(silu(gate(rms(h))) · up(rms(h))), with
 * RMSNorm x / sqrt(mean(x²) + eps) · w, rotary embeddings on the two halves of each head
 * (rotate_half: [x1, x2] → [−x2, x1]) at positions 0 … L−1, softmax(q·kᵀ / √d)·v with no mask, and
 * query head h reading key/value head h / (heads / kvHeads). Two family options: RMSNorm on each
 * query and key head before the rotation (Qwen3's q_norm / k_norm), and a block-causal mask
 * (attentionMask.ts) when the plan states a block length.
 *
 * The pieces (embedding, rotary tables, a decoder layer that can also attend to cached keys and
 * values, the head) are exported: cachedGraphs.ts builds the cached mode's graph from them, so the
 * layer exists once.
 */
import type { FamilyPlan, LayerWeights, ModelShape } from './families/family';
import { GRAPHS } from '../modelFolder/graphs';
import { expectedTensors } from './families/family';
import { blockCausalMask } from './attentionMask';
import { GraphBuilder } from './graph';
import { DataType, GraphParts, valueInfoProto } from './onnx';
import { WeightStorage, WeightsLayout } from './weightsFile';

export const INPUT_NAME = GRAPHS.full.inputs.ids;
export const OUTPUT_NAME = GRAPHS.full.outputs.logits;
/** The symbolic sequence length. */
const L = 'L';

/** Builds the graph and places its weights in `layout` (in the order the graph reads them). */
export function buildTransformer(plan: FamilyPlan, storage: WeightStorage, layout: WeightsLayout, metadata?: Record<string, string>): GraphParts {
  const g = new GraphBuilder(layout, storage, expectedTensors(plan));
  const { shape, weights } = plan;

  const { rope, mask, ...input } = sequenceInputs(g, plan);
  let x = input.x;
  for (const layer of weights.layers) x = decoderLayer(g, shape, layer, rope, x, undefined, mask).out;
  g.named('Unsqueeze', [lmHead(g, plan, x), g.ints([0])], OUTPUT_NAME);

  return {
    name: 'dllm_full',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [valueInfoProto(INPUT_NAME, DataType.INT64, [1, L])],
    outputs: [valueInfoProto(OUTPUT_NAME, DataType.FLOAT, [1, L, shape.vocab])],
    metadata,
  };
}

/** The whole sequence of `input_ids` embedded, at positions 0…L−1 with their rotary tables, and the family's attention mask. */
export function sequenceInputs(g: GraphBuilder, plan: FamilyPlan): { x: string; rope: Rope; mask: string | undefined } {
  const x = embedTokens(g, plan, g.op('Reshape', [INPUT_NAME, g.ints([-1])], undefined, 'ids'));
  const length = g.op('Gather', [g.op('Shape', [INPUT_NAME]), g.ints([1], true)], { axis: 0 }, 'length');
  const positions = g.op('Range', [g.ints([0], true), length, g.ints([1], true)], undefined, 'positions');
  return { x, rope: rotaryTables(g, plan.shape, positions), mask: sequenceMask(g, plan, positions) };
}

export function sequenceMask(g: GraphBuilder, plan: FamilyPlan, positions: string): string | undefined {
  return plan.blockLength === undefined ? undefined : blockCausalMask(g, positions, positions, plan.blockLength);
}

/** Hidden states [L, H] of token ids [L] (int64). */
export function embedTokens(g: GraphBuilder, plan: FamilyPlan, ids: string): string {
  // Gather from the table as stored, then widen only the L rows read.
  const table = g.storedWeight(plan.weights.embed);
  const x = g.op('Gather', [table.name, ids], { axis: 0 }, 'embed');
  return table.type !== DataType.FLOAT ? g.toFloat(x) : x;
}

/** Logits [L, V] of the last layer's hidden states [L, H]. */
export function lmHead(g: GraphBuilder, plan: FamilyPlan, x: string): string {
  return g.linear(rmsNorm(g, x, plan.weights.finalNorm, plan.shape.normEps), plan.weights.head);
}

export interface Rope {
  cos: string;
  sin: string;
}

/** cos and sin of position · inv_freq, [L, headDim], for int64 `positions` [L], the frequencies repeated over both halves. */
export function rotaryTables(g: GraphBuilder, shape: ModelShape, positions: string): Rope {
  const half = shape.headDim / 2;
  // inv_freq_i = 1 / theta^(2i / d), as the modelling code computes it before rounding to fp32.
  const invFreq = Float32Array.from({ length: half }, (_, i) => 1 / shape.ropeTheta ** ((2 * i) / shape.headDim));
  const asFloat = g.op('Cast', [positions], { to: DataType.FLOAT });
  const freqs = g.op('Mul', [g.op('Unsqueeze', [asFloat, g.ints([1])]), g.floats(invFreq)], undefined, 'freqs');
  const angles = g.op('Concat', [freqs, freqs], { axis: -1 }, 'angles');
  return { cos: g.op('Cos', [angles]), sin: g.op('Sin', [angles]) };
}

function rmsNorm(g: GraphBuilder, x: string, weight: string, eps: number): string {
  // The Pow → ReduceMean → Add → Sqrt → Div → Mul shape is the one onnxruntime fuses into one kernel.
  const meanSquare = g.op('ReduceMean', [g.op('Pow', [x, g.floats([2], true)])], { axes: [-1], keepdims: 1 }, 'rms');
  const rms = g.op('Sqrt', [g.op('Add', [meanSquare, g.floats([eps], true)])]);
  return g.op('Mul', [g.op('Div', [x, rms]), g.weight(weight)], undefined, 'norm');
}

/** One layer's keys and values after rotary embedding, [kvHeads, L, d]: what a cache keeps. */
export interface LayerKv {
  keys: string;
  values: string;
}

/**
 * One decoder layer over hidden states x [L, H]. Its queries also attend to `past`, keys and values
 * of other positions (a cache); `kv` is the layer's own keys and values for x's positions. `mask`,
 * when given, is added to the scores [L, past + L].
 */
export function decoderLayer(g: GraphBuilder, s: ModelShape, w: LayerWeights, rope: Rope, x: string, past?: LayerKv, mask?: string): { out: string; kv: LayerKv } {
  const attnIn = rmsNorm(g, x, w.attnNorm, s.normEps);
  const q = rotate(g, headNorm(g, splitHeads(g, g.linear(attnIn, w.q, w.qBias), s.heads, s.headDim), w.qNorm, s), rope, s.headDim);
  const kv = keysValues(g, s, w, rope, attnIn);
  const attended = past ? { keys: g.op('Concat', [past.keys, kv.keys], { axis: 1 }), values: g.op('Concat', [past.values, kv.values], { axis: 1 }) } : kv;
  const h = g.op('Add', [x, attention(g, s, w, q, attended, mask)], undefined, 'residual');
  const mlpIn = rmsNorm(g, h, w.mlpNorm, s.normEps);
  const gate = g.linear(mlpIn, w.gate);
  const silu = g.op('Mul', [gate, g.op('Sigmoid', [gate])], undefined, 'silu');
  const mlp = g.linear(g.op('Mul', [silu, g.linear(mlpIn, w.up)]), w.down);
  return { out: g.op('Add', [h, mlp], undefined, 'residual'), kv };
}

function keysValues(g: GraphBuilder, s: ModelShape, w: LayerWeights, rope: Rope, attnIn: string): LayerKv {
  const keys = rotate(g, headNorm(g, splitHeads(g, g.linear(attnIn, w.k, w.kBias), s.kvHeads, s.headDim), w.kNorm, s), rope, s.headDim);
  return { keys, values: splitHeads(g, g.linear(attnIn, w.v, w.vBias), s.kvHeads, s.headDim) };
}

/** RMSNorm over each head's d values of x [heads, L, d], when the family has one. */
function headNorm(g: GraphBuilder, x: string, weight: string | undefined, s: ModelShape): string {
  return weight === undefined ? x : rmsNorm(g, x, weight, s.normEps);
}

/** [L, heads·d] → [heads, L, d]. */
function splitHeads(g: GraphBuilder, x: string, heads: number, d: number): string {
  return g.op('Transpose', [g.op('Reshape', [x, g.ints([-1, heads, d])])], { perm: [1, 0, 2] }, 'heads');
}

function rotate(g: GraphBuilder, x: string, rope: Rope, d: number): string {
  const [x1, x2] = g.opN('Split', [x, g.ints([d / 2, d / 2])], 2, { axis: -1 }, 'halves');
  const rotated = g.op('Concat', [g.op('Neg', [x2!]), x1!], { axis: -1 }, 'rotate_half');
  return g.op('Add', [g.op('Mul', [x, rope.cos]), g.op('Mul', [rotated, rope.sin])], undefined, 'rope');
}

/**
 * softmax(q·kᵀ / √d + mask)·v for queries q [heads, L, d] over kv [kvHeads, T, d], then the output
 * projection. The query heads that share a key/value head are stacked into one matrix
 * [kvHeads, group·L, d] (query head h reads key/value head h / group), so the keys and values are
 * read once per kv head and never copied out to every query head.
 */
function attention(g: GraphBuilder, s: ModelShape, w: LayerWeights, q: string, kv: LayerKv, mask?: string): string {
  const d = s.headDim;
  const group = s.heads / s.kvHeads;
  // Scaling q before the product costs L·d multiplications instead of L².
  const scaled = g.op('Mul', [q, g.floats([1 / Math.sqrt(d)], true)]);
  const grouped = g.op('Reshape', [scaled, g.ints([s.kvHeads, -1, d])], undefined, 'query_groups');
  const keysT = g.op('Transpose', [kv.keys], { perm: [0, 2, 1] });
  const scores = g.op('MatMul', [grouped, keysT], undefined, 'scores');
  let context: string;
  if (mask === undefined) {
    context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), kv.values], undefined, 'context');
  } else {
    // [kvHeads, group, L, T], where the mask [L, T] broadcasts; the values [kvHeads, 1, T, d] too.
    const perHead = g.op('Reshape', [scores, g.op('Concat', [g.ints([s.kvHeads, group]), g.op('Shape', [mask])], { axis: 0 })]);
    const probs = g.op('Softmax', [g.op('Add', [perHead, mask], undefined, 'masked')], { axis: -1 });
    context = g.op('MatMul', [probs, g.op('Unsqueeze', [kv.values, g.ints([1])])], undefined, 'context');
  }
  // [kvHeads, group·L, d] (or [kvHeads, group, L, d]) → [heads, L, d] → [L, heads·d].
  const perQueryHead = g.op('Reshape', [context, g.ints([s.heads, -1, d])]);
  const merged = g.op('Reshape', [g.op('Transpose', [perQueryHead], { perm: [1, 0, 2] }), g.ints([-1, s.heads * d])]);
  return g.linear(merged, w.o);
}
