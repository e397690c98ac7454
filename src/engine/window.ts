/**
 * Token windowing: which tokens of the request's text the model sees.
 *
 * The client has already cut the text to about the model's window in characters
 * (src/completion/contextWindow.ts); this fits it in tokens, keeping what is nearest the cursor.
 * `windowTokens` tokenizes outward from the cursor in line-aligned chunks and stops once the token
 * budget is met, so the tokenizer (1–3 ms per KB) never sees more than the window plus one chunk,
 * however much text a request carries. Pure functions; the tokenizer is passed in.
 */
import { prefixShare, splitWindow } from '../protocol/protocol';
import { isLowSurrogate } from '../protocol/text';
import { CHUNK_CHARS_PER_TOKEN, MIN_CHUNK_CHARS } from '../protocol/decoding';

export interface TokenWindow {
  prefixIds: number[];
  suffixIds: number[];
  /** Tokens dropped from the start of the prefix / the end of the suffix. */
  droppedPrefix: number;
  droppedSuffix: number;
}

/**
 * Fits prefix and suffix tokens into `budget` by `splitWindow`: the prefix keeps its last tokens,
 * the suffix its first.
 */
export function fitTokens(prefixIds: readonly number[], suffixIds: readonly number[], budget: number): TokenWindow {
  const p = prefixIds.length;
  const s = suffixIds.length;
  const { prefix: keepPrefix, suffix: keepSuffix } = splitWindow(budget, p, s);
  return {
    prefixIds: prefixIds.slice(p - keepPrefix),
    suffixIds: suffixIds.slice(0, keepSuffix),
    droppedPrefix: p - keepPrefix,
    droppedSuffix: s - keepSuffix,
  };
}

/**
 * `fitTokens(encode(prefix), encode(suffix), budget)`, computed lazily: each side is encoded in
 * chunks from the cursor outward, only as far as the budget needs. Chunks end at line breaks
 * where one is near, so for tokenizers that never merge across a newline the result is exactly
 * that of encoding everything.
 */
export function windowTokens(
  prefix: string,
  suffix: string,
  budget: number,
  encode: (text: string) => number[],
): TokenWindow {
  const before = new LazyTokens(prefix, 'backward', encode);
  const after = new LazyTokens(suffix, 'forward', encode);
  const { keepPrefix, keepSuffix } = fitLazily(before, after, budget);
  return {
    prefixIds: before.take(keepPrefix),
    suffixIds: after.take(keepSuffix),
    droppedPrefix: before.knownRest(keepPrefix),
    droppedSuffix: after.knownRest(keepSuffix),
  };
}

/** A side whose tokens are encoded on demand: `ensure(n)` encodes until `n` are known and returns min(n, known). */
export interface LazySide {
  ensure(n: number): number;
}

/**
 * `splitWindow` over sides encoded on demand: how many tokens of each side to keep in `budget`,
 * encoding no further than the split needs.
 */
export function fitLazily(before: LazySide, after: LazySide, budget: number): { keepPrefix: number; keepSuffix: number } {
  const b = Math.max(0, Math.floor(budget));
  const p1 = before.ensure(Math.floor(b * prefixShare));
  const s1 = after.ensure(b - p1);
  // The suffix ran out before its share: the prefix may use what it left.
  const keepPrefix = s1 < b - p1 ? before.ensure(b - s1) : p1;
  return { keepPrefix, keepSuffix: Math.min(s1, b - keepPrefix) };
}

/** The tokens of one side, encoded on demand from the cursor outward. */
class LazyTokens implements LazySide {
  /** Tokens of the consumed part, in text order. */
  private ids: number[] = [];
  /** Characters consumed, counted from the cursor. */
  private consumed = 0;

  constructor(
    private readonly text: string,
    /** backward: the prefix (cursor at its end); forward: the suffix (cursor at its start). */
    private readonly direction: 'backward' | 'forward',
    private readonly encode: (text: string) => number[],
  ) {}

  /** Encodes until `n` tokens are known or the text is used up; returns min(n, known). */
  ensure(n: number): number {
    while (this.ids.length < n && this.consumed < this.text.length) this.grow(n - this.ids.length);
    return Math.min(n, this.ids.length);
  }

  /** The `n` tokens nearest the cursor. */
  take(n: number): number[] {
    return this.direction === 'backward' ? this.ids.slice(this.ids.length - n) : this.ids.slice(0, n);
  }

  /** Tokens known beyond the first `n` (a lower bound on what was dropped). */
  knownRest(n: number): number {
    return this.ids.length - n;
  }

  private grow(missing: number): void {
    const chunk = Math.max(MIN_CHUNK_CHARS, missing * CHUNK_CHARS_PER_TOKEN);
    const t = this.text;
    if (this.direction === 'backward') {
      const end = t.length - this.consumed;
      let start = Math.max(0, end - chunk);
      if (start > 0) {
        const nl = t.indexOf('\n', start);
        if (nl >= 0 && nl + 1 < end) start = nl + 1;
        else if (isLowSurrogate(t.charCodeAt(start))) start++;
      }
      this.ids = [...this.encode(t.slice(start, end)), ...this.ids];
      this.consumed = t.length - start;
    } else {
      const start = this.consumed;
      let end = Math.min(t.length, start + chunk);
      if (end < t.length) {
        const nl = t.lastIndexOf('\n', end - 1);
        if (nl >= start) end = nl + 1;
        else if (isLowSurrogate(t.charCodeAt(end))) end++;
      }
      this.ids.push(...this.encode(t.slice(start, end)));
      this.consumed = end;
    }
  }
}
