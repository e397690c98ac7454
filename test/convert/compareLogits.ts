/**
 * How the converter's parity test compares a dump's top-20 canvas logits with the reference's full
 * rows: the largest difference at the ids the product reported, and whether both agree on the most
 * likely token and on the top-20 set (ties within the tolerance may swap places).
 */
import type { FirstPassDump } from '../../src/protocol/firstPass';

export interface Comparison {
  /** Largest |product − reference| over every reported [id, logit] pair. */
  maxAbsDiff: number;
  /** Canvas positions whose top-1 id differs beyond a tie within `tolerance`. */
  top1Mismatches: number[];
  /** Canvas positions whose reported ids are not the reference's top 20 (ties within tolerance allowed). */
  topSetMismatches: number[];
}

export function compareCanvas(dump: FirstPassDump, reference: number[][], tolerance: number): Comparison {
  if (dump.topk.length !== reference.length) {
    throw new Error(`the dump has ${dump.topk.length} canvas positions, the reference ${reference.length}`);
  }
  let maxAbsDiff = 0;
  const top1Mismatches: number[] = [];
  const topSetMismatches: number[] = [];
  dump.topk.forEach((pairs, j) => {
    // Rows are as many as positions (checked above); a position's ids are vocabulary ids, inside its row,
    // and it has at least one, fewer than the row's length.
    const row = reference[j]!;
    for (const [id, logit] of pairs) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(logit - row[id]!));
    const sorted = [...row].sort((a, b) => b - a);
    // The product's first id must be (within a tie) the reference's best.
    if (row[pairs[0]![0]]! < sorted[0]! - tolerance) top1Mismatches.push(j);
    const twentieth = sorted[pairs.length - 1]!;
    if (pairs.some(([id]) => row[id]! < twentieth - tolerance)) topSetMismatches.push(j);
  });
  return { maxAbsDiff, top1Mismatches, topSetMismatches };
}

/** The same comparison against rows taken one position off: what dropping (or adding) the shift would give. */
export function offByOne(rows: Record<string, number[]>, dump: FirstPassDump, shiftedNow: boolean): number[][] {
  return dump.topk.map((_, j) => {
    const position = dump.canvasStart + j + (shiftedNow ? 0 : -1);
    const row = rows[String(Math.max(0, position))];
    if (!row) throw new Error(`the reference has no logits for position ${Math.max(0, position)}`);
    return row;
  });
}
