/**
 * Choosing a request's canvas length (the manifest's `lengthChoice`), for models trained to fill the
 * unused tail of the middle with their end token (converted Dream and LLaDA checkpoints). Such a
 * model answers worse on a canvas much longer or shorter than the middle it means to write, so one
 * pass over the longest canvas the request allows reads where the middle likely ends, and the
 * request denoises a canvas of that length plus a margin. The middle still ends at the first
 * committed end token, as on any canvas.
 */
import type { LengthChoiceStats } from '../protocol/lengthChoice';
import type { CanvasPass } from './runners/model';

/** An end token is likely at a position once it is likelier than every other token together. */
export const END_DOMINATES = 0.5;

/** Room left after the likely end: a few tokens, and a quarter more for longer middles. */
export function lengthMargin(likelyEnd: number): number {
  return 4 + Math.ceil(likelyEnd / 4);
}

/**
 * [N] probability of an end token at each position of `logits` [N × V]: softmax over the tokens
 * the sampler may commit (`banned` left out, as in scoring.ts).
 */
export function endProbabilities(logits: Float32Array, vocabSize: number, endIds: ReadonlySet<number>, banned: Uint8Array): Float32Array {
  const n = logits.length / vocabSize;
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const row = logits.subarray(j * vocabSize, (j + 1) * vocabSize);
    let max = -Infinity;
    for (let t = 0; t < vocabSize; t++) if (!banned[t] && row[t]! > max) max = row[t]!;
    let sum = 0;
    let end = 0;
    for (let t = 0; t < vocabSize; t++) {
      if (banned[t]) continue;
      const e = Math.exp(row[t]! - max);
      sum += e;
      if (endIds.has(t)) end += e;
    }
    out[j] = sum > 0 ? end / sum : 0;
  }
  return out;
}

/** The length to denoise, at most `cap`: the first position where an end token dominates, plus the margin; `cap` where none does. */
export function chooseLength(endProbability: Float32Array, cap: number): Omit<LengthChoiceStats, 'probedTokens'> {
  const likelyEnd = endProbability.findIndex((p) => p > END_DOMINATES);
  const chosenTokens = likelyEnd < 0 ? cap : Math.min(cap, likelyEnd + lengthMargin(likelyEnd));
  return { likelyEnd, chosenTokens };
}

/** The probe's outcome: the choice, and its pass's logits (the first denoising pass's own when the length stays). */
export interface LengthProbe {
  stats: LengthChoiceStats;
  logits: Float32Array;
}

/** Runs the probe pass over the all-masked canvas of `pass` (`cap` positions) and chooses the length. */
export async function probeLength(pass: CanvasPass, cap: number, maskId: number, endIds: ReadonlySet<number>, vocabSize: number, banned: Uint8Array): Promise<LengthProbe> {
  const logits = await pass.forward(new Int32Array(cap).fill(maskId));
  const choice = chooseLength(endProbabilities(logits, vocabSize, endIds, banned), cap);
  return { stats: { probedTokens: cap, ...choice }, logits };
}
