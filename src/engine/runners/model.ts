/**
 * What the sampler needs from a model: logits for every canvas position, given the canvas.
 * A request first `begin`s with its context (split models encode it once there), then runs
 * `forward` once per denoising pass.
 */
import type { ContextAttention, KvCacheShape } from '../../modelFolder/manifest';

/**
 * The document layout of a request: `head · prefix · canvas · (gap) · suffix · tail`, consecutive
 * positions. head = [bos] [language], tail = [eos] (each left out when the manifest has none).
 * A causal split model takes the context tokens in another order, at these same positions.
 */
export interface SequenceLayout {
  head: readonly number[];
  prefix: readonly number[];
  canvasLength: number;
  /**
   * Positions skipped between the canvas and the suffix (0 when absent), at most the manifest's
   * maxSuffixGap: the context cache leaves room there so typing does not move the suffix.
   */
  suffixGap?: number;
  suffix: readonly number[];
  tail: readonly number[];
}

/** One request's forward function. */
export interface CanvasPass {
  /** Milliseconds spent preparing the context (split: the context graph; cached: refreshes; full: 0). */
  readonly encodeMs: number;
  /** Context tokens whose keys and values came from the document's last request (cached mode). */
  readonly contextReused?: number;
  /** canvas: ids [N] → logits [N × V], row j for canvas position j. */
  forward(canvas: Int32Array): Promise<Float32Array>;
  release(): void;
}

export interface CanvasModel {
  readonly vocabSize: number;
  /** `document`: where the model keeps what a document's next request can reuse (cached mode). */
  begin(layout: SequenceLayout, document?: string): Promise<CanvasPass>;
  /** Drops what is kept for a closed document. */
  forget?(document: string): void;
  dispose(): Promise<void>;
  /** Present when the context can be encoded a few tokens at a time (a causal split model). */
  readonly extendable?: ExtendableContext;
}

/** Keys and values `[layers, 1, heads, tokens, headDim]` of `tokens` context tokens, in JavaScript memory. */
export interface KvBlock {
  keys: Float32Array;
  values: Float32Array;
  tokens: number;
}

/**
 * A context whose tokens attend only to earlier ones (`causalSuffixFirst`): tokens appended later
 * leave the earlier tokens' keys and values as they were, so a request can reuse them.
 */
export interface ExtendableContext {
  readonly kv: KvCacheShape;
  /** Keys and values of new context tokens `ids` at `positions`, which also attend to `past`. */
  extend(ids: readonly number[], positions: readonly number[], past: KvBlock): Promise<KvBlock>;
  /** A request's forward function against a context already encoded (in `contextTokens` order). */
  beginWith(layout: SequenceLayout, context: KvBlock, encodeMs: number): CanvasPass;
}

/** Position of the first canvas token: everything before it is head and prefix. */
export function canvasOffset(layout: SequenceLayout): number {
  return layout.head.length + layout.prefix.length;
}

/** Position of the first suffix token (of the tail when there is no suffix). */
export function suffixStart(layout: SequenceLayout): number {
  return canvasOffset(layout) + layout.canvasLength + (layout.suffixGap ?? 0);
}

/**
 * Context tokens (everything but the canvas) in the order the context graph takes them, each at
 * its position in the document layout (positions skip the canvas and the gap whatever the order):
 * - `bidirectional`: head, prefix, suffix, tail;
 * - `causalSuffixFirst`: head, suffix, tail, prefix. Each token attends only to those before it,
 *   so typing, which appends to the prefix, only appends context tokens.
 * The Python twin is models/train/dllm_train/model/layout.py `request_layout`; the two must agree exactly.
 */
export function contextTokens(layout: SequenceLayout, attention: ContextAttention = 'bidirectional'): { ids: number[]; positions: number[] } {
  const { head, prefix, suffix, tail } = layout;
  const after = suffixStart(layout);
  const headPos = head.map((_, i) => i);
  const prefixPos = prefix.map((_, i) => head.length + i);
  const afterPos = [...suffix, ...tail].map((_, i) => after + i);
  if (attention === 'causalSuffixFirst') {
    return { ids: [...head, ...suffix, ...tail, ...prefix], positions: [...headPos, ...afterPos, ...prefixPos] };
  }
  return { ids: [...head, ...prefix, ...suffix, ...tail], positions: [...headPos, ...prefixPos, ...afterPos] };
}
