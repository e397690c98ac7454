/**
 * Text clean-up around the tokenizer. Going in: request text is LF already (the protocol's
 * contract), but a document may hold an unpaired surrogate, which the tokenizer must not see.
 * Coming out: the vocabulary may hold `\r` (tokens learnt from CRLF files), but text the engine
 * hands out is LF only, as the protocol promises.
 */
import { toLf } from '../protocol/text';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Replaces unpaired surrogates (e.g. a document holding half an emoji) with U+FFFD. */
export function toWellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/** Decoded model output as the engine hands it out (a completion, a progress preview): CRLF and lone CR become LF. */
export function outputText(decoded: string): string {
  return toLf(decoded);
}
