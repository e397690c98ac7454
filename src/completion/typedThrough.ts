/**
 * Typed-through reuse: when the user types exactly what the shown suggestion predicted, the rest
 * of that suggestion is still right, so it is served again without asking the model.
 */

export interface ShownSuggestion {
  /** Document the suggestion was made for. */
  uri: string;
  /** Document offset of the cursor when it was made. */
  offset: number;
  /** Up to `anchorChars` characters right before `offset` when it was made. */
  before: string;
  /** Up to `anchorChars` characters right after `offset` when it was made. */
  after: string;
  /** The suggestion as inserted at `offset`. */
  text: string;
}

/** How many characters on each side pin a suggestion to its place. */
export const anchorChars = 200;

export interface CursorContext {
  uri: string;
  offset: number;
  /** Reads the current document text in [start, end). */
  getText(start: number, end: number): string;
}

/** The rest of `shown` when the user has typed a proper start of it since, else undefined. */
export function remainingAfterTyping(shown: ShownSuggestion | undefined, now: CursorContext): string | undefined {
  if (!shown || shown.uri !== now.uri || now.offset <= shown.offset) return undefined;
  const typedLength = now.offset - shown.offset;
  if (typedLength >= shown.text.length) return undefined;
  const typed = now.getText(shown.offset, now.offset);
  if (!shown.text.startsWith(typed)) return undefined;
  if (now.getText(shown.offset - shown.before.length, shown.offset) !== shown.before) return undefined;
  if (now.getText(now.offset, now.offset + shown.after.length) !== shown.after) return undefined;
  return shown.text.slice(typedLength);
}
