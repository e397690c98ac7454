/**
 * What a model family tells the converter: how to recognise its config.json, the transformer's
 * shape, the checkpoint's weight names, and whether its logits are shifted. Everything else (the
 * graph, the weights file, the manifest) is shared. Every family here is a pre-norm RMSNorm
 * decoder with rotary embeddings, grouped-query attention and a SiLU-gated MLP; they differ in
 * names, biases, per-head query/key norms, defaults, the shift and the attention rule
 * (bidirectional, or block-causal).
 */
import type { ConfigFields, Json } from '../configFields';
import { ConvertError } from '../errors';

export type FamilyId = 'dream' | 'llada' | 'sdar' | 'fast-dllm-v2';

/** The transformer's dimensions, read from config.json. */
export interface ModelShape {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** The MLP's inner width. */
  ffn: number;
  /** Rows of the embedding and of the output projection: the graph's logits width V. */
  vocab: number;
  normEps: number;
  ropeTheta: number;
  /** The longest sequence the model was trained for (max_position_embeddings / max_sequence_length). */
  maxPositions: number;
}

/** One decoder layer's checkpoint tensors; a bias is absent when the family has none. */
export interface LayerWeights {
  attnNorm: string;
  q: string;
  k: string;
  v: string;
  qBias?: string;
  kBias?: string;
  vBias?: string;
  /** RMSNorm weights [headDim] applied to each query / key head before rotary embedding (Qwen3 shape). */
  qNorm?: string;
  kNorm?: string;
  o: string;
  mlpNorm: string;
  /** The MLP projection that goes through SiLU. */
  gate: string;
  up: string;
  down: string;
}

/**
 * A Qwen-shaped checkpoint's layer weight names (`model.layers.N.self_attn.*`, `mlp.*`): Qwen2's
 * with q/k/v biases (the Dream family), Qwen3's with per-head q/k norms (SDAR).
 */
export function qwenLayerWeights(layers: number, extras: { biases?: boolean; headNorms?: boolean }): LayerWeights[] {
  return Array.from({ length: layers }, (_, i) => {
    const p = `model.layers.${i}`;
    return {
      attnNorm: `${p}.input_layernorm.weight`,
      q: `${p}.self_attn.q_proj.weight`,
      k: `${p}.self_attn.k_proj.weight`,
      v: `${p}.self_attn.v_proj.weight`,
      ...(extras.biases ? { qBias: `${p}.self_attn.q_proj.bias`, kBias: `${p}.self_attn.k_proj.bias`, vBias: `${p}.self_attn.v_proj.bias` } : {}),
      ...(extras.headNorms ? { qNorm: `${p}.self_attn.q_norm.weight`, kNorm: `${p}.self_attn.k_norm.weight` } : {}),
      o: `${p}.self_attn.o_proj.weight`,
      mlpNorm: `${p}.post_attention_layernorm.weight`,
      gate: `${p}.mlp.gate_proj.weight`,
      up: `${p}.mlp.up_proj.weight`,
      down: `${p}.mlp.down_proj.weight`,
    };
  });
}

/** Refuses, by name, what a Qwen-shaped config may ask for that the shared graph does not implement. */
export function refuseQwenExtras(c: ConfigFields): void {
  c.expect('rope_scaling', [null], null, 'scaled rotary embeddings');
  c.expect('hidden_act', ['silu'], 'silu', 'the MLP activation');
  c.expect('use_sliding_window', [false], false, 'sliding-window attention');
}

/** A family recognised by config.json's `model_type` or one of its `architectures`. */
export function namedBy(modelType: string, architecture: string): (config: Json) => boolean {
  return (config) => config.model_type === modelType || (Array.isArray(config.architectures) && config.architectures.includes(architecture));
}

export interface WeightNames {
  embed: string;
  finalNorm: string;
  /** The output projection; the embedding's own name when the head is tied to it. */
  head: string;
  layers: LayerWeights[];
}

/** What a family reads from a supported config. */
export interface FamilyPlan {
  shape: ModelShape;
  weights: WeightNames;
  /** logits[i] predicts token i+1 (the engine reads the row before each canvas position). */
  shiftedLogits: boolean;
  /**
   * Block-causal attention: position i attends to j when floor(j / blockLength) ≤ floor(i / blockLength),
   * blocks counted from position 0. Absent: bidirectional.
   */
  blockLength?: number;
  /**
   * Tokens the family's own generation denoises at a time, where that is less than a block:
   * Fast-dLLM v2's sub-blocks. Absent: the block. It divides blockLength, so sub-blocks counted
   * from position 0 never straddle a block.
   */
  decodeBlockLength?: number;
}

export interface Family {
  id: FamilyId;
  /** The checkpoints it covers, for messages and the model's description. */
  covers: string;
  /** Whether config.json's `architectures` / `model_type` name this family. */
  recognises(config: Json): boolean;
  /** Reads the config; refuses (ConvertError) any feature the shared graph does not implement. */
  plan(config: Json): FamilyPlan;
  /** Whether a prompt starts with bos when the tokenizer files do not say (tokens.ts). */
  bosFirstDefault: boolean;
  /** Whether a checkpoint of the family may grow and shrink its canvas with expand and delete tokens (DreamOn; tokens.ts looks for them). */
  editsLength?: boolean;
}

/** Every tensor the graph reads and the shape config.json implies for it. */
export function expectedTensors(plan: FamilyPlan): Map<string, number[]> {
  const { shape: s, weights: w } = plan;
  const qOut = s.heads * s.headDim;
  const kvOut = s.kvHeads * s.headDim;
  const expected = new Map<string, number[]>([
    [w.embed, [s.vocab, s.hidden]],
    [w.finalNorm, [s.hidden]],
    [w.head, [s.vocab, s.hidden]],
  ]);
  for (const l of w.layers) {
    expected.set(l.attnNorm, [s.hidden]);
    expected.set(l.q, [qOut, s.hidden]);
    expected.set(l.k, [kvOut, s.hidden]);
    expected.set(l.v, [kvOut, s.hidden]);
    if (l.qBias !== undefined) expected.set(l.qBias, [qOut]);
    if (l.kBias !== undefined) expected.set(l.kBias, [kvOut]);
    if (l.vBias !== undefined) expected.set(l.vBias, [kvOut]);
    if (l.qNorm !== undefined) expected.set(l.qNorm, [s.headDim]);
    if (l.kNorm !== undefined) expected.set(l.kNorm, [s.headDim]);
    expected.set(l.o, [s.hidden, qOut]);
    expected.set(l.mlpNorm, [s.hidden]);
    expected.set(l.gate, [s.ffn, s.hidden]);
    expected.set(l.up, [s.ffn, s.hidden]);
    expected.set(l.down, [s.hidden, s.ffn]);
  }
  return expected;
}

/** Head layout checks every family shares; returns the shape for chaining. */
export function checkHeads(shape: ModelShape): ModelShape {
  if (shape.heads % shape.kvHeads !== 0) {
    throw new ConvertError(`config.json: ${shape.heads} attention heads are not a multiple of ${shape.kvHeads} key/value heads`);
  }
  // Rotary embeddings turn pairs of the head's two halves.
  if (shape.headDim % 2 !== 0) throw new ConvertError(`config.json: the head size ${shape.headDim} is odd (rotary embeddings need it even)`);
  return shape;
}

/** The head size Dream and LLaDA derive: hidden size over heads, which must divide evenly. */
export function headDim(hidden: number, heads: number): number {
  if (hidden % heads !== 0) throw new ConvertError(`config.json: the hidden size ${hidden} is not a multiple of ${heads} heads`);
  return hidden / heads;
}
