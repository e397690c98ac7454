/**
 * Text clean-up at the engine's edge: the model sees LF line ends and well-formed UTF-16;
 * the answer goes back in the document's own line-end style.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Replaces unpaired surrogates (e.g. a cut through an emoji) with U+FFFD. */
export function toWellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

export type LineEnd = '\n' | '\r\n';

/** The line end the surrounding text uses most: CRLF only if it outnumbers bare LF. */
export function detectLineEnd(...texts: string[]): LineEnd {
  let crlf = 0;
  let lf = 0;
  for (const t of texts) {
    for (let i = t.indexOf('\n'); i >= 0; i = t.indexOf('\n', i + 1)) {
      if (i > 0 && t.charCodeAt(i - 1) === 13) crlf++;
      else lf++;
    }
  }
  return crlf > lf ? '\r\n' : '\n';
}

/** What the model reads: CRLF and lone CR become LF, lone surrogates become U+FFFD. */
export function normalizeForModel(text: string): string {
  return toWellFormed(text.replace(/\r\n?/g, '\n'));
}

/** The model's LF text in the document's line-end style. */
export function restoreLineEnds(text: string, lineEnd: LineEnd): string {
  return lineEnd === '\n' ? text : text.replace(/\n/g, '\r\n');
}
