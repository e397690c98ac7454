/**
 * The manifest's `blockLength`: a block-causal model (SDAR, Fast-dLLM v2) generates block by
 * block, blocks of this many tokens counted from sequence position 0; the engine then denoises
 * only the earliest canvas block with masked positions (sampler/commitWindow.ts). Absent: the
 * whole canvas at once.
 */
import type { Fail } from './json';
import { MAX_CANVAS_TOKENS_LIMIT } from './limits';

export function optBlockLength(root: Record<string, unknown>, fail: Fail): number | undefined {
  const v = root.blockLength;
  if (v === undefined || v === null) return undefined;
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > MAX_CANVAS_TOKENS_LIMIT) {
    fail(`"blockLength" must be an integer from 1 to ${MAX_CANVAS_TOKENS_LIMIT}`);
  }
  return v as number;
}
