/**
 * Cuts the text around the cursor down to what the model can see, before it is tokenized:
 * tokenizing costs about 1–2 ms per KB, so a 5 MB document must never reach the tokenizer whole.
 * Also makes strings well-formed, because editors can hand us lone UTF-16 surrogates.
 */

/** Generous characters-per-token bound: code averages 3–4, long whitespace runs fewer tokens still. */
export const charsPerTokenBound = 8;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Replaces every unpaired surrogate with U+FFFD (String.prototype.toWellFormed, which ES2022 types lack). */
export function toWellFormed(text: string): string {
  let out: string[] | undefined;
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    if (isHighSurrogate(code) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      i++;
      continue;
    }
    out ??= [];
    out.push(text.slice(last, i), '\ufffd');
    last = i + 1;
  }
  return out ? out.join('') + text.slice(last) : text;
}

/** The last `maxChars` of the prefix, never starting inside a surrogate pair. */
export function prefixTail(prefix: string, maxChars: number): string {
  if (prefix.length <= maxChars) return prefix;
  let start = prefix.length - maxChars;
  if (isLowSurrogate(prefix.charCodeAt(start))) start++;
  return prefix.slice(start);
}

/** The first `maxChars` of the suffix, never ending inside a surrogate pair. */
export function suffixHead(suffix: string, maxChars: number): string {
  if (suffix.length <= maxChars) return suffix;
  let end = maxChars;
  if (isHighSurrogate(suffix.charCodeAt(end - 1))) end--;
  return suffix.slice(0, end);
}

/** Prefix and suffix as the engine should receive them for a model with `maxContextTokens`. */
export function fitContext(prefix: string, suffix: string, maxContextTokens: number): { prefix: string; suffix: string } {
  const maxChars = Math.max(1, maxContextTokens) * charsPerTokenBound;
  return {
    prefix: toWellFormed(prefixTail(prefix, maxChars)),
    suffix: toWellFormed(suffixHead(suffix, maxChars)),
  };
}
