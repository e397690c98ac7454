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

/** Probability of an end token in one row of logits [V]: softmax over the tokens the sampler may commit (`banned` left out, as in scoring.ts). */
export function endProbability(row: Float32Array, endIds: ReadonlySet<number>, banned: Uint8Array): number {
  let max = -Infinity;
  for (let t = 0; t < row.length; t++) if (!banned[t] && row[t]! > max) max = row[t]!;
  let sum = 0;
  let end = 0;
  for (let t = 0; t < row.length; t++) {
    if (banned[t]) continue;
    const e = Math.exp(row[t]! - max);
    sum += e;
    if (endIds.has(t)) end += e;
  }
  return sum > 0 ? end / sum : 0;
}

/**
 * The first position of `logits` [N × V] where end tokens are likelier than every other token
 * together, or -1. A row whose best end logit trails its best logit by more than ln(#end ids) cannot
 * be one (the best token alone outweighs them), so most rows cost a max scan, not a softmax over V
 * (about 3.5 ms a row for a 152k vocabulary in JavaScript).
 */
export function likelyEnd(logits: Float32Array, vocabSize: number, endIds: ReadonlySet<number>, banned: Uint8Array): number {
  const ends = [...endIds].filter((t) => t < vocabSize && !banned[t]);
  if (ends.length === 0) return -1;
  const slack = Math.log(ends.length);
  const n = logits.length / vocabSize;
  for (let j = 0; j < n; j++) {
    const row = logits.subarray(j * vocabSize, (j + 1) * vocabSize);
    let max = -Infinity;
    for (let t = 0; t < vocabSize; t++) if (!banned[t] && row[t]! > max) max = row[t]!;
    const bestEnd = Math.max(...ends.map((t) => row[t]!));
    if (bestEnd + slack < max) continue;
    if (endProbability(row, endIds, banned) > END_DOMINATES) return j;
  }
  return -1;
}

/** The length to denoise, at most `cap`: the likely end plus the margin; `cap` where none was found (-1). */
export function chooseLength(likelyEnd: number, cap: number): number {
  return likelyEnd < 0 ? cap : Math.min(cap, likelyEnd + lengthMargin(likelyEnd));
}

/** The probe's outcome: the choice, and its pass's logits (the first denoising pass's own when the length stays). */
export interface LengthProbe {
  stats: LengthChoiceStats;
  logits: Float32Array;
}

/** Runs the probe pass over the all-masked canvas of `pass` (`cap` positions) and chooses the length. */
export async function probeLength(pass: CanvasPass, cap: number, maskId: number, endIds: ReadonlySet<number>, vocabSize: number, banned: Uint8Array): Promise<LengthProbe> {
  const logits = await pass.forward(new Int32Array(cap).fill(maskId));
  const end = likelyEnd(logits, vocabSize, endIds, banned);
  return { stats: { probedTokens: cap, likelyEnd: end, chosenTokens: chooseLength(end, cap) }, logits };
}
