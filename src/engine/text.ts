/**
 * Text clean-up before the tokenizer: request text is LF already (the protocol's contract), but a
 * document may hold an unpaired surrogate, which the tokenizer must not see.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Replaces unpaired surrogates (e.g. a document holding half an emoji) with U+FFFD. */
export function toWellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}
