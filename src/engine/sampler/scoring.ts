/**
 * Turns one pass's logits into what the policies decide on: for each masked position a
 * candidate token and its probability (confidence); for each committed position the probability
 * the model now gives its token (for backtracking).
 *
 * Probabilities are softmax over the allowed tokens (the mask token and other specials are
 * banned: the model must never "commit" a mask). Temperature only changes which candidate is
 * drawn; confidence is always the plain softmax probability of that candidate.
 */
import type { Canvas } from '../canvas';
import type { Random } from './random';

export interface Scores {
  /** [N] candidate token per masked position (-1 elsewhere). */
  candidate: Int32Array;
  /** [N] probability of the candidate (0 elsewhere). */
  confidence: Float32Array;
  /** [N] probability of the committed token at committed positions (NaN elsewhere). */
  currentProb: Float32Array;
}

export interface ScoringSetup {
  vocabSize: number;
  /** [V] 1 = never a candidate. */
  banned: Uint8Array;
  /** 0 = argmax. */
  temperature: number;
  random: Random;
}

/**
 * Scores positions [0, limit) of the canvas from logits [N × V]; committed positions only when
 * `scoreCommitted` (a re-mask rule needs them; the softmax over V is the costly part).
 * Draws one random number per masked position, in order, when temperature > 0.
 */
export function scoreCanvas(logits: Float32Array, canvas: Canvas, limit: number, setup: ScoringSetup, scoreCommitted = true): Scores {
  const n = canvas.length;
  const v = setup.vocabSize;
  const { banned, temperature, random } = setup;
  const candidate = new Int32Array(n).fill(-1);
  const confidence = new Float32Array(n);
  const currentProb = new Float32Array(n).fill(Number.NaN);
  for (let i = 0; i < Math.min(limit, n); i++) {
    if (canvas.committed[i] && !scoreCommitted) continue;
    const base = i * v;
    let max = -Infinity;
    let best = -1;
    for (let t = 0; t < v; t++) {
      if (banned[t]) continue;
      const l = logits[base + t]!;
      if (l > max) {
        max = l;
        best = t;
      }
    }
    let sum = 0;
    for (let t = 0; t < v; t++) if (!banned[t]) sum += Math.exp(logits[base + t]! - max);

    if (canvas.committed[i]) {
      const tok = canvas.ids[i]!;
      currentProb[i] = banned[tok] ? 0 : Math.exp(logits[base + tok]! - max) / sum;
      continue;
    }
    const chosen = temperature > 0 ? drawTempered(logits, base, v, banned, max, temperature, random) : best;
    candidate[i] = chosen;
    confidence[i] = Math.exp(logits[base + chosen]! - max) / sum;
  }
  return { candidate, confidence, currentProb };
}

/** One draw from softmax(logits / temperature) over allowed tokens (inverse CDF). */
function drawTempered(logits: Float32Array, base: number, v: number, banned: Uint8Array, max: number, temperature: number, random: Random): number {
  let sum = 0;
  for (let t = 0; t < v; t++) if (!banned[t]) sum += Math.exp((logits[base + t]! - max) / temperature);
  let r = random() * sum;
  let last = -1;
  for (let t = 0; t < v; t++) {
    if (banned[t]) continue;
    last = t;
    r -= Math.exp((logits[base + t]! - max) / temperature);
    if (r < 0) return t;
  }
  return last; // rounding left r ≥ 0: the last allowed token
}
