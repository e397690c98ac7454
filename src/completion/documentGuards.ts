/**
 * Documents that inline completion leaves alone, each with the reason it is logged with.
 */

/** Beyond this many characters a document is not worth the extension host's time per keystroke. */
export const maxDocumentChars = 2_000_000;

/** Beyond this, a single line is minified or generated, not typed. */
export const maxLineChars = 5_000;

/** A reason to skip the document, or undefined when completions are fine. */
export function documentSkipReason(doc: { length: number; sample: string; lineLength: number }): string | undefined {
  if (doc.length > maxDocumentChars) return `document too large (${doc.length} characters > ${maxDocumentChars})`;
  if (doc.lineLength > maxLineChars) return `cursor line too long (${doc.lineLength} characters > ${maxLineChars}), likely minified`;
  if (looksBinary(doc.sample)) return 'document looks binary (NUL or many control characters)';
  return undefined;
}

/** NUL bytes, or more than 10 % control characters other than tab, CR, LF, FF. */
export function looksBinary(sample: string): boolean {
  if (sample.length === 0) return false;
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 0) return true;
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) || c === 0xfffd) control++;
  }
  return control / sample.length > 0.1;
}
