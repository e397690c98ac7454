/**
 * Turns the model's raw middle into the ghost text an inline completion shows, or into a reason
 * why nothing should be shown. Plain TypeScript: no `vscode`, unit-tested with golden cases.
 *
 * Rules (see DESIGN §3): a single line when the cursor has text to its right, otherwise up to a
 * few lines cut at the end of the current block; never repeat what the suffix already contains;
 * no closers the suffix already provides; trailing whitespace trimmed; indentation in the
 * editor's style; nothing for an empty or whitespace-only middle.
 */
import { countChar, unmatchedCloserIndices } from './brackets';
import {
  currentLinePrefix,
  currentLineSuffix,
  firstLine,
  indentWidth,
  isBlank,
  leadingWhitespace,
  nextNonBlankLines,
} from './lines';

export interface IndentStyle {
  /** The editor indents with tabs (`editor.insertSpaces` false). */
  useTabs: boolean;
  tabSize: number;
}

export interface InlineInput {
  /** Text before the cursor (`\n` line ends). */
  prefix: string;
  /** Text after the cursor (`\n` line ends). */
  suffix: string;
  /** The model's middle. */
  completion: string;
  /** `length`: the canvas filled up, so the last line may be cut off. */
  finishReason?: 'stop' | 'length' | 'cancelled';
  /** Most lines a multi-line suggestion may have (default 6). */
  maxLines?: number;
  /** Reindent to this style; left as the model wrote it when absent. */
  indent?: IndentStyle;
}

export type InlineResult = { text: string; reason?: undefined } | { text?: undefined; reason: string };

export const defaultMaxLines = 6;
/** Lines a suggestion asked for by hand may have. */
export const manualMaxLines = 16;

function none(reason: string): InlineResult {
  return { reason };
}

/** Characters that may close beyond the completion and that the text after the cursor may already hold. */
const overlapPunctuation = new Set([';', ',', ':']);
const quotes = new Set(['"', "'", '`']);

export function postProcessInline(input: InlineInput): InlineResult {
  if (input.finishReason === 'cancelled') return none('cancelled before the model finished');
  const completion = input.completion;
  if (completion === '') return none('the model left the middle empty');
  if (isBlank(completion)) return none('the model produced only whitespace');
  const lineSuffix = currentLineSuffix(input.suffix);
  return isBlank(lineSuffix) ? multiLine(input, completion) : singleLine(completion, lineSuffix);
}

/** The cursor has text to its right: one line, without what that text already provides. */
function singleLine(completion: string, lineSuffix: string): InlineResult {
  let line = firstLine(completion);
  if (isBlank(line)) return none('the model started a new line but the cursor has text to its right');
  const rest = lineSuffix.trimStart();

  // A closer that closes beyond the completion while the rest of the line already closes it:
  // everything from there on is the model re-writing the suffix.
  for (const i of unmatchedCloserIndices(line)) {
    if (rest.startsWith(line.charAt(i))) {
      line = line.slice(0, i);
      break;
    }
  }
  line = dropProvidedTail(line, rest);
  // Trailing spaces matter before a word (`x = |foo`), not before the spaces already there.
  if (/^\s/.test(lineSuffix)) line = line.trimEnd();
  if (isBlank(line)) return none('the suggestion only repeats the text to the right of the cursor');
  if (rest.startsWith(line.trim())) return none('the suggestion only repeats the text to the right of the cursor');
  return { text: line };
}

/**
 * Drops the longest tail of `text` (ignoring trailing spaces) that `rest` starts with and that is
 * made only of quotes without a partner in `text`, unmatched closers, or `;` `,` `:`.
 */
function dropProvidedTail(text: string, rest: string): string {
  const body = text.trimEnd();
  const unmatched = new Set(unmatchedCloserIndices(body));
  let start = body.length;
  while (start > 0) {
    const i = start - 1;
    const ch = body.charAt(i);
    const droppable =
      unmatched.has(i) || overlapPunctuation.has(ch) || (quotes.has(ch) && countChar(body, ch) % 2 === 1);
    if (!droppable) break;
    start = i;
  }
  // Shrink the candidate until the rest of the line really starts with it.
  for (let s = start; s < body.length; s++) {
    const tail = body.slice(s);
    if (rest.startsWith(tail)) return body.slice(0, s);
  }
  return text;
}

/** The cursor is at the end of its line: a few lines, cut where the current block ends. */
function multiLine(input: InlineInput, completion: string): InlineResult {
  const linePrefix = currentLinePrefix(input.prefix);
  const maxLines = Math.max(1, input.maxLines ?? defaultMaxLines);
  let lines = completion.split('\n').map((l) => l.trimEnd());

  if (input.finishReason === 'length') {
    // The canvas ran out: the last line is likely cut mid-token, unless it is the only one.
    const contentLines = lines.filter((l) => !isBlank(l)).length;
    if (contentLines > 1) lines = lines.slice(0, lastContentIndex(lines));
  }

  lines = startAtCursor(lines, linePrefix);
  lines = cutAtBlockEnd(lines, linePrefix, maxLines);
  lines = dropTrailingBlank(lines);
  lines = dropLinesRepeatingSuffix(lines, linePrefix, input.suffix);
  if (lines.length === 0) return none('the suggestion only repeats the lines below the cursor');
  lines = dropClosersSuffixProvides(lines, input.suffix);
  lines = dropTrailingBlank(lines);
  if (input.indent) lines = reindent(lines, input.indent);

  const text = lines.join('\n');
  if (isBlank(text)) return none('nothing left after cutting the suggestion to the current block');
  return { text };
}

/**
 * The cursor sits in an indented blank line and the model began with a line break, then the same
 * indentation: start the text at the cursor instead of leaving the cursor's line blank.
 */
function startAtCursor(lines: string[], linePrefix: string): string[] {
  const [first, second] = lines;
  if (linePrefix === '' || !isBlank(linePrefix) || first !== '' || second === undefined) return lines;
  if (!second.startsWith(linePrefix) || isBlank(second)) return lines;
  return [second.slice(linePrefix.length), ...lines.slice(2)];
}

function lastContentIndex(lines: string[]): number {
  let last = 0;
  for (const [i, line] of lines.entries()) if (!isBlank(line)) last = i;
  return last;
}

function dropTrailingBlank(lines: string[]): string[] {
  let end = lines.length;
  while (end > 0 && isBlank(lines[end - 1]!)) end--;
  return lines.slice(0, end);
}

const opensBlock = /[:{([]\s*$/;
/** `# Steps:` or `// Example:` ends with a colon but opens nothing. */
const commentLine = /^\s*(?:#|\/\/|\*|--|\/\*)/;
const startsWithCloser = /^\s*[)\]}]/;
const closerLine = /^\s*[)\]}]+[;,]?\s*$/;

/**
 * Keeps lines while they belong to the cursor's block. When the cursor's line opens a block
 * (ends with `:` `{` `(` `[`) the block is everything indented deeper than that line, plus one
 * closing line at its level; otherwise the block ends at the first line indented less.
 */
function cutAtBlockEnd(lines: string[], linePrefix: string, maxLines: number): string[] {
  const [first, ...rest] = lines;
  if (first === undefined) return lines;
  const cursorLine = linePrefix + first;
  const base = indentWidth(cursorLine);
  const opens = opensBlock.test(cursorLine) && !commentLine.test(cursorLine);
  const kept = [first];
  for (const line of rest) {
    if (kept.length >= maxLines) break;
    if (isBlank(line)) {
      kept.push(line);
      continue;
    }
    const width = indentWidth(line);
    const leavesBlock = opens ? width <= base : width < base;
    if (leavesBlock) {
      if (opens && width === base && startsWithCloser.test(line)) kept.push(line);
      break;
    }
    kept.push(line);
  }
  return kept;
}

/**
 * Drops trailing suggestion lines that are exactly the first non-blank lines below the cursor.
 * The first suggestion line only takes part when the suggestion owns that whole line.
 */
function dropLinesRepeatingSuffix(lines: string[], linePrefix: string, suffix: string): string[] {
  const ownsFirst = isBlank(linePrefix) && !isBlank(lines[0] ?? '');
  const full = lines.map((l, i) => (i === 0 ? linePrefix + l : l));
  const firstCandidate = ownsFirst ? 0 : 1;
  const contentIdx: number[] = [];
  for (const [i, line] of full.entries()) if (i >= firstCandidate && !isBlank(line)) contentIdx.push(i);
  const below = nextNonBlankLines(suffix, contentIdx.length).map((l) => l.trimEnd());
  for (let k = Math.min(contentIdx.length, below.length); k >= 1; k--) {
    const tail = contentIdx.slice(contentIdx.length - k).map((i) => full[i]);
    if (tail.every((l, j) => l === below[j])) {
      const cut = contentIdx[contentIdx.length - k];
      return dropTrailingBlank(lines.slice(0, cut));
    }
  }
  return lines;
}

/** Closers at the very end of the suggestion that close beyond it, when the suffix already starts with them. */
function dropClosersSuffixProvides(lines: string[], suffix: string): string[] {
  const last = lines[lines.length - 1];
  if (last === undefined) return lines;
  if (lines.length > 1 && closerLine.test(last)) {
    // A line of closers stands for a block's end: only the same line, at the same indentation, replaces it.
    const below = nextNonBlankLines(suffix, 1)[0];
    const same =
      below !== undefined &&
      leadingWhitespace(below) === leadingWhitespace(last) &&
      below.trim().startsWith(last.trim().replace(/[;,]$/, ''));
    return same ? lines.slice(0, -1) : lines;
  }
  const text = lines.join('\n');
  const rest = suffix.replace(/^\s+/, '');
  let cut = text.trimEnd().length;
  let provided = '';
  // From the last unmatched closer backwards.
  for (const i of unmatchedCloserIndices(text).reverse()) {
    // Only a run of closers (with whitespace between) at the very end counts.
    if (text.slice(i + 1, cut).trim() !== '') break;
    const candidate = text.charAt(i) + provided;
    if (!rest.replace(/\s+/g, '').startsWith(candidate)) break;
    provided = candidate;
    cut = i;
  }
  if (provided === '') return lines;
  return text.slice(0, cut).split('\n').map((l) => l.trimEnd());
}

/** Rewrites leading indentation of continuation lines in the editor's style. */
export function reindent(lines: string[], style: IndentStyle): string[] {
  return lines.map((line, i) => {
    if (i === 0) return line;
    const lead = leadingWhitespace(line);
    if (lead === '') return line;
    const width = indentWidth(line, style.tabSize);
    const wanted = style.useTabs
      ? '\t'.repeat(Math.floor(width / style.tabSize)) + ' '.repeat(width % style.tabSize)
      : ' '.repeat(width);
    return wanted + line.slice(lead.length);
  });
}
