/**
 * Test helper: tiny random checkpoints of each family, held in memory (a Checkpoint whose tensors
 * are Float32Arrays), with their config.json as the published modelling code reads it, and a
 * plain description of the transformer (TinySpec) for the reference forward pass.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Checkpoint } from '../../../src/convert/checkpoint';
import { convertCheckpoint } from '../../../src/convert/convert';
import type { TensorInfo } from '../../../src/convert/tensors';
import { mulberry32 } from '../../../src/engine/sampler/random';
import { type TestTensor, bf16, writeCheckpointFolder } from './writeSafetensors';

export interface TinySpec {
  family: 'dream' | 'llada' | 'sdar' | 'fast-dllm-v2';
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  vocab: number;
  tied: boolean;
  ropeTheta: number;
  eps: number;
  /** LLaDA's include_qkv_bias (Dream always has q/k/v biases). */
  qkvBias?: boolean;
  /** SDAR's head_dim, stated apart from hidden / heads. */
  headDim?: number;
  /** SDAR's block_size: block-causal attention. */
  blockLength?: number;
  /** DreamOn: the tokenizer adds `<|expand|>` and `<|delete|>` (ids vocab − 5 and vocab − 4). */
  lengthTokens?: boolean;
}

export const DREAM_SPEC: TinySpec = { family: 'dream', hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 48, vocab: 50, tied: false, ropeTheta: 10000, eps: 1e-6 };
export const LLADA_SPEC: TinySpec = { family: 'llada', hidden: 32, layers: 2, heads: 4, kvHeads: 4, ffn: 40, vocab: 64, tied: false, ropeTheta: 500000, eps: 1e-5 };
/** A head size other than hidden / heads, as SDAR-4B's 128 against 2560 / 32. */
export const SDAR_SPEC: TinySpec = { family: 'sdar', hidden: 32, layers: 2, heads: 4, kvHeads: 2, headDim: 12, ffn: 48, vocab: 50, tied: false, ropeTheta: 1e6, eps: 1e-6, blockLength: 4 };

/** DreamOn: a Dream checkpoint whose tokenizer has the expand and delete tokens. */
export const DREAMON_SPEC: TinySpec = { ...DREAM_SPEC, lengthTokens: true };

/** Fast-dLLM v2: Dream's layer and shift, block-causal over blocks of 3 here (32 in the published models). */
export const FAST_DLLM_V2_SPEC: TinySpec = { ...DREAM_SPEC, family: 'fast-dllm-v2', blockLength: 3 };

/** The head size: SDAR's stated one, else hidden / heads. */
export function headSize(spec: TinySpec): number {
  return spec.headDim ?? spec.hidden / spec.heads;
}

export function configFor(spec: TinySpec): Record<string, unknown> {
  if (spec.family === 'sdar') {
    return {
      architectures: ['SDARForCausalLM'], model_type: 'sdar', hidden_size: spec.hidden, num_hidden_layers: spec.layers,
      num_attention_heads: spec.heads, num_key_value_heads: spec.kvHeads, head_dim: headSize(spec), intermediate_size: spec.ffn,
      vocab_size: spec.vocab, rms_norm_eps: spec.eps, rope_theta: spec.ropeTheta, rope_scaling: null, hidden_act: 'silu',
      attention_bias: false, use_sliding_window: false, tie_word_embeddings: spec.tied, max_position_embeddings: 4096,
      block_size: spec.blockLength, mask_token_id: spec.vocab - 2, bos_token_id: spec.vocab - 3, eos_token_id: spec.vocab - 3,
    };
  }
  if (spec.family === 'dream' || spec.family === 'fast-dllm-v2') {
    const dream = spec.family === 'dream';
    return {
      ...(dream ? { architectures: ['DreamModel'], model_type: 'Dream' } : { architectures: ['Fast_dLLM_QwenForCausalLM'], model_type: 'Fast_dLLM_Qwen', bd_size: spec.blockLength }), hidden_size: spec.hidden, num_hidden_layers: spec.layers,
      num_attention_heads: spec.heads, num_key_value_heads: spec.kvHeads, intermediate_size: spec.ffn, vocab_size: spec.vocab,
      rms_norm_eps: spec.eps, rope_theta: spec.ropeTheta, rope_scaling: null, hidden_act: 'silu', use_sliding_window: false,
      tie_word_embeddings: spec.tied, max_position_embeddings: 4096, mask_token_id: spec.vocab - 2, pad_token_id: spec.vocab - 3,
      bos_token_id: spec.vocab - 3, eos_token_id: spec.vocab - 3,
    };
  }
  return {
    architectures: ['LLaDAModelLM'], model_type: 'llada', d_model: spec.hidden, n_layers: spec.layers, n_heads: spec.heads,
    n_kv_heads: spec.kvHeads, mlp_hidden_size: spec.ffn, vocab_size: spec.vocab, embedding_size: spec.vocab,
    rms_norm_eps: spec.eps, rope_theta: spec.ropeTheta, rope: true, alibi: false, block_type: 'llama', activation_type: 'silu',
    layer_norm_type: 'rms', attention_layer_norm: false, include_bias: false, include_qkv_bias: spec.qkvBias ?? false,
    weight_tying: spec.tied, scale_logits: false, max_sequence_length: 4096, mask_token_id: spec.vocab - 2,
    eos_token_id: spec.vocab - 3, pad_token_id: spec.vocab - 3,
  };
}

/** Every tensor's name and shape, in the family's naming. */
export function tensorShapes(spec: TinySpec): Map<string, number[]> {
  const { hidden: h, heads, kvHeads, ffn, vocab } = spec;
  const d = headSize(spec);
  const m = new Map<string, number[]>();
  // SDAR keeps Dream's (Qwen's) names.
  const dream = spec.family !== 'llada';
  m.set(dream ? 'model.embed_tokens.weight' : 'model.transformer.wte.weight', [vocab, h]);
  for (let i = 0; i < spec.layers; i++) {
    const p = dream ? `model.layers.${i}.` : `model.transformer.blocks.${i}.`;
    const a = dream ? `${p}self_attn.` : p;
    m.set(dream ? `${p}input_layernorm.weight` : `${p}attn_norm.weight`, [h]);
    m.set(`${a}q_proj.weight`, [heads * d, h]);
    m.set(`${a}k_proj.weight`, [kvHeads * d, h]);
    m.set(`${a}v_proj.weight`, [kvHeads * d, h]);
    if (spec.family === 'sdar') {
      m.set(`${a}q_norm.weight`, [d]);
      m.set(`${a}k_norm.weight`, [d]);
    }
    if (spec.family === 'dream' || spec.family === 'fast-dllm-v2' || spec.qkvBias) {
      m.set(`${a}q_proj.bias`, [heads * d]);
      m.set(`${a}k_proj.bias`, [kvHeads * d]);
      m.set(`${a}v_proj.bias`, [kvHeads * d]);
    }
    m.set(dream ? `${a}o_proj.weight` : `${p}attn_out.weight`, [h, heads * d]);
    m.set(dream ? `${p}post_attention_layernorm.weight` : `${p}ff_norm.weight`, [h]);
    m.set(dream ? `${p}mlp.gate_proj.weight` : `${p}ff_proj.weight`, [ffn, h]);
    m.set(dream ? `${p}mlp.up_proj.weight` : `${p}up_proj.weight`, [ffn, h]);
    m.set(dream ? `${p}mlp.down_proj.weight` : `${p}ff_out.weight`, [h, ffn]);
  }
  m.set(dream ? 'model.norm.weight' : 'model.transformer.ln_f.weight', [h]);
  if (!spec.tied) m.set(dream ? 'lm_head.weight' : 'model.transformer.ff_out.weight', [vocab, h]);
  return m;
}

/** Random weights: norms near 1, matrices scaled so activations stay of order 1. */
export function randomWeights(spec: TinySpec, seed = 1): Map<string, Float32Array> {
  const rand = mulberry32(seed); // seeded: a failing test fails the same way every run
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of tensorShapes(spec)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const isNorm = /norm|ln_f/.test(name);
    const scale = isNorm ? 0.2 : shape.length === 1 ? 0.1 : 1 / Math.sqrt(shape[shape.length - 1]!);
    weights.set(name, Float32Array.from({ length: n }, () => (isNorm ? 1 : 0) + (rand() * 2 - 1) * scale * 1.7));
  }
  return weights;
}

/** A small but complete tokenizer.json (loadable by the engine) whose added tokens name the special ids of configFor(spec). */
export function tokenizerJson(spec: TinySpec): Record<string, unknown> {
  const token = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const added = [token(spec.vocab - 3, '<|endoftext|>'), token(spec.vocab - 2, '<|mask|>'), token(spec.vocab - 1, '<|startoftext|>')];
  if (spec.lengthTokens) added.unshift(token(spec.vocab - 5, '<|expand|>'), token(spec.vocab - 4, '<|delete|>'));
  const vocab: Record<string, number> = {};
  for (let i = 0; i < spec.vocab - added.length; i++) vocab[String.fromCharCode(97 + (i % 26)) + (i >= 26 ? String(i) : '')] = i;
  for (const t of added) vocab[t.content] = t.id;
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: [] },
  };
}

export interface MemoryCheckpointOptions {
  config?: Record<string, unknown>;
  tokenizerConfig?: Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
  /** Replaces or removes (undefined) tensors after the random ones are made. */
  edit?: (weights: Map<string, Float32Array>, shapes: Map<string, number[]>) => void;
  /** Called before each tensor read (e.g. to abort a conversion part way). */
  onRead?: (name: string) => void;
}

/**
 * A Checkpoint in memory, with its folder `dir` holding tokenizer.json (and a README.md when
 * `readme` is given), so that the converter can copy them.
 */
export function memoryCheckpoint(dir: string, spec: TinySpec, options: MemoryCheckpointOptions = {}): Checkpoint & { weights: Map<string, Float32Array> } {
  fs.mkdirSync(dir, { recursive: true });
  const tokenizerPath = path.join(dir, 'tokenizer.json');
  fs.writeFileSync(tokenizerPath, JSON.stringify(tokenizerJson(spec)));
  const weights = randomWeights(spec);
  const shapes = tensorShapes(spec);
  options.edit?.(weights, shapes);
  const tensors = new Map<string, TensorInfo>();
  for (const [name, values] of weights) tensors.set(name, { name, dtype: 'F32', shape: shapes.get(name) ?? [values.length] });
  return {
    dir,
    config: options.config ?? configFor(spec),
    generationConfig: options.generationConfig,
    tokenizerConfig: options.tokenizerConfig,
    tokenizerPath,
    tensors,
    weightFiles: [],
    bytes: [...weights.values()].reduce((n, w) => n + w.byteLength, 0),
    weights,
    readFloat32(name: string): Float32Array {
      options.onRead?.(name);
      const w = weights.get(name);
      if (!w) throw new Error(`no tensor ${name}`);
      return w.slice();
    },
    close(): void {},
  };
}

/**
 * Writes `spec`'s random checkpoint as a Hugging Face folder (bf16 safetensors in two shards with
 * their index, config.json, tokenizer.json); returns the weights as the reader widens them.
 */
export function writeTinyCheckpointFolder(dir: string, spec: TinySpec, extraFiles: Record<string, string> = {}): Map<string, Float32Array> {
  const shapes = tensorShapes(spec);
  const widened = new Map<string, Float32Array>();
  const shards: Record<string, Record<string, TestTensor>> = { 'model-00001-of-00002.safetensors': {}, 'model-00002-of-00002.safetensors': {} };
  [...randomWeights(spec)].forEach(([name, values], i) => {
    const bits = bf16(Array.from(values));
    widened.set(name, Float32Array.from(bits, (b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]!));
    shards[i % 2 === 0 ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']![name] = { dtype: 'BF16', shape: shapes.get(name)!, data: bits };
  });
  writeCheckpointFolder(dir, { config: configFor(spec), weights: shards, index: true });
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(spec)));
  for (const [file, text] of Object.entries(extraFiles)) fs.writeFileSync(path.join(dir, file), text);
  return widened;
}

/** `spec`'s random checkpoint converted (fp32) into `dir`/<family>, once: later calls return the folder. */
export async function convertedTiny(dir: string, spec: TinySpec): Promise<string> {
  const to = path.join(dir, spec.family);
  if (!fs.existsSync(to)) await convertCheckpoint(memoryCheckpoint(path.join(dir, `hf-${spec.family}`), spec), { to, weights: 'fp32' });
  return to;
}
