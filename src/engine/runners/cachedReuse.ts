/**
 * What a cached-mode request can take from its document's last one (runners/cached.ts): the keys
 * and values of the tokens the two sequences share, moved to their new positions. Typing changes
 * a few tokens at the prefix's end; the prefix window then drops as many from its front, and the
 * suffix moves by the difference. Such a token keeps its keys and values from the last refresh,
 * the same approximation as between refreshes (the canvas and the typed tokens around it are
 * computed afresh), and its keys turn by the rotary angle of its move, since rotations compose:
 * rotating a key rotated for position p by Δ gives the key rotated for p + Δ.
 * Pure functions over typed arrays.
 */

/** A sequence and where its canvas lies in it. */
export interface LaidOut {
  ids: BigInt64Array;
  /** The head's length (bos, language): positions [0, head) that never move. */
  head: number;
  canvasStart: number;
  canvasEnd: number;
}

/** `count` tokens at `from` in the earlier sequence are the tokens at `to` in the new one. */
export interface Move {
  from: number;
  to: number;
  count: number;
}

/** How far the prefix window's start is searched for (tokens dropped or gained at its front). */
const MAX_FRONT_SHIFT = 64;

/** The moves that carry the earlier sequence's head, prefix and suffix tokens into the new one. */
export function alignSequences(old: LaidOut, next: LaidOut): Move[] {
  const moves: Move[] = [];
  const push = (from: number, to: number, count: number): void => {
    if (count > 0) moves.push({ from, to, count });
  };
  let head = 0;
  while (head < next.head && head < old.head && old.ids[head] === next.ids[head]) head++;
  push(0, 0, head);
  if (head === next.head && head === old.head) {
    // The prefix: the longest run of the new prefix's tokens, from its first, found in the old prefix.
    let best = { shift: 0, count: 0 };
    for (let shift = -MAX_FRONT_SHIFT; shift <= MAX_FRONT_SHIFT; shift++) {
      const count = run(old.ids, head + shift, old.canvasStart, next.ids, head, next.canvasStart);
      if (count > best.count) best = { shift, count };
    }
    push(head + best.shift, head, best.count);
  }
  push(old.canvasEnd, next.canvasEnd, run(old.ids, old.canvasEnd, old.ids.length, next.ids, next.canvasEnd, next.ids.length));
  return moves;
}

/** Equal tokens a[i…] = b[j…] counted from i and j, within [i, aEnd) and [j, bEnd). */
function run(a: BigInt64Array, i: number, aEnd: number, b: BigInt64Array, j: number, bEnd: number): number {
  if (i < 0) return 0;
  let n = 0;
  while (i + n < aEnd && j + n < bEnd && a[i + n] === b[j + n]) n++;
  return n;
}

/** The positions of `total` that no move covers, in order. */
export function uncovered(total: number, moves: readonly Move[]): number[] {
  const covered = new Uint8Array(total);
  for (const m of moves) covered.fill(1, m.to, m.to + m.count);
  const out: number[] = [];
  for (let p = 0; p < total; p++) if (!covered[p]) out.push(p);
  return out;
}

/**
 * Keys turned from position p to p + delta: x·cos(delta·f) + rotate_half(x)·sin(delta·f) per head
 * of `d` values, f_i = theta^(−2i/d) over both halves (the graph's rotary tables, transformer.ts).
 */
export function rotateKeys(keys: Float32Array, d: number, delta: number, theta: number): Float32Array {
  if (delta === 0) return keys;
  const half = d / 2;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    const angle = delta / theta ** ((2 * i) / d);
    cos[i] = Math.cos(angle);
    sin[i] = Math.sin(angle);
  }
  const out = new Float32Array(keys.length);
  for (let at = 0; at < keys.length; at += d) {
    for (let i = 0; i < half; i++) {
      const x1 = keys[at + i]!;
      const x2 = keys[at + half + i]!;
      out[at + i] = x1 * cos[i]! - x2 * sin[i]!;
      out[at + half + i] = x2 * cos[i]! + x1 * sin[i]!;
    }
  }
  return out;
}

/**
 * Positions `from…from+count` of every block of a cache [blocks, tokens, d], as [blocks, count, d].
 */
export function slicePositions(data: Float32Array, blocks: number, tokens: number, d: number, from: number, count: number): Float32Array {
  const out = new Float32Array(blocks * count * d);
  for (let b = 0; b < blocks; b++) out.set(data.subarray((b * tokens + from) * d, (b * tokens + from + count) * d), b * count * d);
  return out;
}

/** Caches [blocks, n_i, d] joined along the positions: [blocks, Σ n_i, d]. */
export function joinPositions(parts: readonly { data: Float32Array; tokens: number }[], blocks: number, d: number): Float32Array {
  const total = parts.reduce((n, p) => n + p.tokens, 0);
  const out = new Float32Array(blocks * total * d);
  for (let b = 0; b < blocks; b++) {
    let at = b * total * d;
    for (const p of parts) {
      out.set(p.data.subarray(b * p.tokens * d, (b + 1) * p.tokens * d), at);
      at += p.tokens * d;
    }
  }
  return out;
}
