/**
 * Context windowing: which part of the document the model sees.
 *
 * Two cuts, both keeping what is nearest the cursor: first by characters (cheap, so the
 * tokenizer never sees a whole document), then by tokens (exact, to fit the model's context).
 * Pure functions.
 */

/** Characters kept per token of budget at the character cut; generous so the token cut decides. */
export const CHARS_PER_TOKEN = 6;

/** Share of the token budget the prefix gets when both sides want more than they can have. */
export const PREFIX_SHARE = 0.75;

export interface TextWindow {
  prefix: string;
  suffix: string;
  /** True if text was dropped before the prefix / after the suffix. */
  prefixCut: boolean;
  suffixCut: boolean;
}

/**
 * Keeps at most `maxChars` characters of the prefix (its end) and of the suffix (its start).
 * A cut prefix starts at a line start and a cut suffix ends at a line end when one lies in the
 * outer quarter of the kept text, so the model sees whole lines; a cut never splits a
 * surrogate pair.
 */
export function cutByCharacters(prefix: string, suffix: string, maxChars: number): TextWindow {
  const limit = Math.max(0, Math.floor(maxChars));
  if (limit === 0) return { prefix: '', suffix: '', prefixCut: prefix.length > 0, suffixCut: suffix.length > 0 };
  let p = prefix;
  let s = suffix;
  const prefixCut = p.length > limit;
  const suffixCut = s.length > limit;
  if (prefixCut) {
    let start = p.length - limit;
    if (isLowSurrogate(p.charCodeAt(start))) start++;
    const nl = p.indexOf('\n', start);
    if (nl >= 0 && nl < start + limit / 4) start = nl + 1;
    p = p.slice(start);
  }
  if (suffixCut) {
    let end = limit;
    if (isLowSurrogate(s.charCodeAt(end)) && end > 1) end--;
    const nl = s.lastIndexOf('\n', end - 1);
    if (nl >= 0 && nl >= end - limit / 4) end = nl + 1;
    s = s.slice(0, end);
  }
  return { prefix: p, suffix: s, prefixCut, suffixCut };
}

export interface TokenWindow {
  prefixIds: number[];
  suffixIds: number[];
  /** Tokens dropped from the start of the prefix / the end of the suffix. */
  droppedPrefix: number;
  droppedSuffix: number;
}

/**
 * Fits prefix and suffix tokens into `budget`: the prefix keeps its last tokens, the suffix its
 * first. When both are long the prefix gets `prefixShare` of the budget; a side that needs less
 * than its share leaves the rest to the other.
 */
export function fitTokens(
  prefixIds: readonly number[],
  suffixIds: readonly number[],
  budget: number,
  prefixShare = PREFIX_SHARE,
): TokenWindow {
  const b = Math.max(0, Math.floor(budget));
  const p = prefixIds.length;
  const s = suffixIds.length;
  const prefixQuota = Math.floor(b * prefixShare);
  const keepPrefix = Math.min(p, Math.max(prefixQuota, b - s));
  const keepSuffix = Math.min(s, b - keepPrefix);
  return {
    prefixIds: prefixIds.slice(p - keepPrefix),
    suffixIds: suffixIds.slice(0, keepSuffix),
    droppedPrefix: p - keepPrefix,
    droppedSuffix: s - keepSuffix,
  };
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
