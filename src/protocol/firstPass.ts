/**
 * The first denoising pass of a request, as the sampler sees it: what a converted model is checked
 * against a reference implementation with (`npm run complete -- --dump-logits`). Part of the
 * protocol (InfillRequest's `dumpFirstPass` and result `firstPass`); no editor asks for it.
 */

/** Logits kept per canvas position, highest first. */
export const firstPassTopK = 20;

export interface FirstPassDump {
  /** Ids of the whole sequence the model sees, in position order; canvas positions hold the mask id. */
  tokens: number[];
  /** Their position ids (consecutive, skipping any gap before the suffix). */
  positions: number[];
  /** Index in `tokens` of the first canvas token. */
  canvasStart: number;
  /** Per canvas position, `firstPassTopK` [id, logit] pairs, highest logit first, after any shift. */
  topk: Array<Array<[number, number]>>;
}
