/**
 * What the sampler needs from a model: logits for every canvas position, given the canvas.
 * A request first `begin`s with its context (split models encode it once there), then runs
 * `forward` once per denoising pass.
 */
import type { ContextAttention } from '../model/manifest';

/**
 * The document layout of a request: `head · prefix · canvas · suffix · tail`, consecutive
 * positions. head = [bos] [language], tail = [eos] (each left out when the manifest has none).
 * A causal split model takes the context tokens in another order, at these same positions.
 */
export interface SequenceLayout {
  head: readonly number[];
  prefix: readonly number[];
  canvasLength: number;
  suffix: readonly number[];
  tail: readonly number[];
}

/** One request's forward function. */
export interface CanvasPass {
  /** Milliseconds spent preparing the context (split: the context graph; full: 0). */
  readonly encodeMs: number;
  /** canvas: ids [N] → logits [N × V], row j for canvas position j. */
  forward(canvas: Int32Array): Promise<Float32Array>;
  release(): void;
}

export interface CanvasModel {
  readonly vocabSize: number;
  begin(layout: SequenceLayout): Promise<CanvasPass>;
  dispose(): Promise<void>;
}

/** Position of the first canvas token: everything before it is head and prefix. */
export function canvasOffset(layout: SequenceLayout): number {
  return layout.head.length + layout.prefix.length;
}

/**
 * Context tokens (everything but the canvas) in the order the context graph takes them, each at
 * its position in the document layout (positions skip the canvas whatever the order):
 * - `bidirectional`: head, prefix, suffix, tail;
 * - `causalSuffixFirst`: head, suffix, tail, prefix. Each token attends only to those before it,
 *   so typing, which appends to the prefix, only appends context tokens.
 * The Python twin is models/train/layout.py `request_layout`; the two must agree exactly.
 */
export function contextTokens(layout: SequenceLayout, attention: ContextAttention = 'bidirectional'): { ids: number[]; positions: number[] } {
  const { head, prefix, suffix, tail } = layout;
  const after = head.length + prefix.length + layout.canvasLength; // first position after the canvas
  const headPos = head.map((_, i) => i);
  const prefixPos = prefix.map((_, i) => head.length + i);
  const afterPos = [...suffix, ...tail].map((_, i) => after + i);
  if (attention === 'causalSuffixFirst') {
    return { ids: [...head, ...suffix, ...tail, ...prefix], positions: [...headPos, ...afterPos, ...prefixPos] };
  }
  return { ids: [...head, ...prefix, ...suffix, ...tail], positions: [...headPos, ...prefixPos, ...afterPos] };
}
