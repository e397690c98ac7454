/**
 * What the sampler needs from a model: logits for every canvas position, given the canvas.
 * A request first `begin`s with its context (split models encode it once there), then runs
 * `forward` once per denoising pass.
 */

/**
 * The sequence the model sees: `head · prefix · canvas · suffix · tail`, consecutive positions.
 * head = [bos] [language], tail = [eos] (each left out when the manifest has none).
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

/** Context tokens (everything but the canvas) with their positions in the full sequence. */
export function contextTokens(layout: SequenceLayout): { ids: number[]; positions: number[] } {
  const before = [...layout.head, ...layout.prefix];
  const after = [...layout.suffix, ...layout.tail];
  const ids = [...before, ...after];
  const positions = ids.map((_, i) => (i < before.length ? i : i + layout.canvasLength));
  return { ids, positions };
}
