/**
 * Small line and indentation helpers shared by the completion rules. Plain TypeScript.
 * Text here always uses `\n` (the request contract; the editor's edge converts).
 */

/** Leading spaces and tabs of a line. */
export function leadingWhitespace(line: string): string {
  const match = /^[ \t]*/.exec(line);
  return match ? match[0] : '';
}

/** Indentation width, a tab counting `tabSize` columns. */
export function indentWidth(line: string, tabSize = 4): number {
  let width = 0;
  for (const ch of leadingWhitespace(line)) width += ch === '\t' ? tabSize : 1;
  return width;
}

export function isBlank(line: string): boolean {
  return line.trim().length === 0;
}

/** The text of the line the cursor is on, before the cursor (after the last `\n` of `prefix`). */
export function currentLinePrefix(prefix: string): string {
  return prefix.slice(prefix.lastIndexOf('\n') + 1);
}

/** The text up to the first `\n` (all of it when there is none). */
export function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return end < 0 ? text : text.slice(0, end);
}

/** The text of the line the cursor is on, after the cursor (up to the first `\n` of `suffix`). */
export function currentLineSuffix(suffix: string): string {
  return firstLine(suffix);
}

/** The first `count` non-blank lines strictly after the cursor's line. */
export function nextNonBlankLines(suffix: string, count: number): string[] {
  const lines = suffix.split('\n').slice(1);
  return lines.filter((l) => !isBlank(l)).slice(0, count);
}

/** The last non-blank line before the cursor's line, or undefined. */
export function previousNonBlankLine(prefix: string): string | undefined {
  const lines = prefix.split('\n');
  lines.pop();
  return lines.reverse().find((l) => !isBlank(l));
}
