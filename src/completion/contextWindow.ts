/**
 * The one character cut: the text around the cursor that a request carries. The server fits it to
 * the model's `maxContextTokens` in tokens (src/engine/window.ts); cutting here first keeps a large
 * document out of the request and the cache key to about the text the model reads. Plain
 * TypeScript; text in and out has LF line ends (callers convert at the editor's edge).
 */
import { splitWindow } from '../protocol/protocol';
import { isHighSurrogate, isLowSurrogate } from '../protocol/text';

/**
 * Characters sent per token of the model's context: above the densest text the bundled tokenizer
 * meets (4.3 characters per token at most over the real-code benchmark's windows, 2.8 typical), so
 * the cut never removes text the model would read (test/integration/completion/contextWindow.test.ts).
 */
export const CHARS_PER_TOKEN = 6;

/** Most characters a request carries for a model that reads `maxContextTokens` tokens. */
export function windowChars(maxContextTokens: number): number {
  return Math.max(0, Math.floor(maxContextTokens)) * CHARS_PER_TOKEN;
}

export interface ContextWindow {
  prefix: string;
  suffix: string;
  /** True when the prefix was cut (the model does not see the start of the document). */
  prefixCut: boolean;
  suffixCut: boolean;
}

/**
 * Cuts `before` (text up to the cursor) and `after` (text from the cursor) to `maxChars` in all,
 * by the server's rule (`splitWindow`): when both are long the prefix gets three quarters, and a
 * side that needs less leaves the rest to the other. A cut side starts (prefix) or ends (suffix) on a line boundary
 * when one lies in its outer quarter, and never splits a surrogate pair.
 */
export function cutWindow(before: string, after: string, maxChars: number): ContextWindow {
  const { prefix: keepPrefix, suffix: keepSuffix } = splitWindow(maxChars, before.length, after.length);
  return {
    prefix: keepPrefix < before.length ? cutPrefix(before, keepPrefix) : before,
    suffix: keepSuffix < after.length ? cutSuffix(after, keepSuffix) : after,
    prefixCut: keepPrefix < before.length,
    suffixCut: keepSuffix < after.length,
  };
}

/** The last `keep` characters of `text`, from a line start if one lies in their first quarter. */
function cutPrefix(text: string, keep: number): string {
  let start = text.length - keep;
  if (isLowSurrogate(text.charCodeAt(start))) start++;
  const nl = text.indexOf('\n', start);
  if (nl >= 0 && nl < start + keep / 4) start = nl + 1;
  return text.slice(start);
}

/** The first `keep` characters of `text`, to a line end if one lies in their last quarter. */
function cutSuffix(text: string, keep: number): string {
  if (keep === 0) return '';
  let end = keep;
  if (isHighSurrogate(text.charCodeAt(end - 1))) end--;
  const nl = text.lastIndexOf('\n', end - 1);
  if (nl >= 0 && nl >= end - keep / 4) end = nl + 1;
  return text.slice(0, end);
}
