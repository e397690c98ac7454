/**
 * What request text is (InfillRequest): LF line ends only, and UTF-16 whose cuts never split a
 * surrogate pair. The client converts at its edge (an editor document, a file on disk) with
 * `toLf` and back with `fromLf`; both sides cut text with the surrogate checks. Plain TypeScript.
 */

export type LineEnd = '\n' | '\r\n';

/** CRLF and lone CR become LF. */
export function toLf(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** LF text in the given line-end style. */
export function fromLf(text: string, lineEnd: LineEnd): string {
  return lineEnd === '\n' ? text : text.replace(/\n/g, '\r\n');
}

/** The line end a text uses most: CRLF only if it outnumbers bare LF. */
export function dominantLineEnd(text: string): LineEnd {
  let crlf = 0;
  let lf = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    if (i > 0 && text.charCodeAt(i - 1) === 13) crlf++;
    else lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

export function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

export function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
