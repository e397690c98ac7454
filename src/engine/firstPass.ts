/**
 * Builds a request's first-pass dump (src/protocol/firstPass.ts): the sequence in position order
 * with the canvas masked, and the top logits the sampler saw at each canvas position.
 */
import { firstPassTopK, type FirstPassDump } from '../protocol/firstPass';
import { canvasOffset, type SequenceLayout } from './runners/model';

/** `logits` [N × V] of the first pass, row j for canvas position j (after any shift). */
export function firstPassDump(layout: SequenceLayout, maskId: number, logits: Float32Array, vocabSize: number): FirstPassDump {
  const n = layout.canvasLength;
  const before = [...layout.head, ...layout.prefix];
  const after = [...layout.suffix, ...layout.tail];
  const tokens = [...before, ...new Array<number>(n).fill(maskId), ...after];
  const gap = layout.suffixGap ?? 0;
  const positions = tokens.map((_, i) => (i < before.length + n ? i : i + gap));
  const topk = Array.from({ length: n }, (_, j) => topLogits(logits.subarray(j * vocabSize, (j + 1) * vocabSize), firstPassTopK));
  return { tokens, positions, canvasStart: canvasOffset(layout), topk };
}

/** The `k` largest entries of `row` as [index, value], largest first (ties: lower index first). */
export function topLogits(row: Float32Array, k: number): Array<[number, number]> {
  const best: Array<[number, number]> = [];
  for (let id = 0; id < row.length; id++) {
    const v = row[id]!;
    if (best.length === k && v <= best[k - 1]![1]) continue;
    let at = best.length;
    while (at > 0 && best[at - 1]![1] < v) at--;
    best.splice(at, 0, [id, v]);
    if (best.length > k) best.pop();
  }
  return best;
}
