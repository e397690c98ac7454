/**
 * Where a command's proposed edit applies while it waits for Accept: the span follows edits made
 * elsewhere in the document and goes stale as soon as an edit touches it, and the text a diff
 * shows is the document with the proposal applied. No `vscode` import.
 */

/** A half-open range of offsets, `start <= end`. */
export interface Span {
  start: number;
  end: number;
}

/** One change of a document change event; every offset refers to the text before the event. */
export interface TextChange {
  rangeOffset: number;
  rangeLength: number;
  text: string;
}

/**
 * `span` after one change event, or undefined when a change touches it. An edit right at either
 * end counts as touching: the proposal was written for the text around it as it was.
 */
export function followChanges(span: Span, changes: readonly TextChange[]): Span | undefined {
  let shift = 0;
  // The changes of one event do not overlap and all refer to the text before it, so their order does not matter.
  for (const c of changes) {
    const end = c.rangeOffset + c.rangeLength;
    if (end < span.start) shift += c.text.length - c.rangeLength;
    else if (c.rangeOffset <= span.end) return undefined;
  }
  return { start: span.start + shift, end: span.end + shift };
}

/** The document text with `span` replaced by `insert`. */
export function withProposal(text: string, span: Span, insert: string): string {
  return text.slice(0, span.start) + insert + text.slice(span.end);
}
