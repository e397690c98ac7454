/**
 * Finds the function around a position without a language server: by indentation for Python,
 * by braces for the C family (TS/JS, Java, C#, Go, Rust, …). Used by "Regenerate Function Body"
 * and "Insert Doc Comment" when no document symbols are available, and to find the body inside
 * a symbol's range when they are. Plain TypeScript; offsets are UTF-16 indices into `text`.
 *
 * It runs on the extension host, so its work is bounded: it reads a window of lines around the
 * cursor (see `viewAround`), and each signature scan stops at the next `def` line.
 */
import { indentWidth, isBlank, leadingWhitespace } from './lines';

export interface FunctionSpan {
  style: 'indent' | 'braces';
  name?: string;
  /** Start of the first line of the function: decorators / annotations included. */
  headerStart: number;
  /** Indentation of the header line. */
  headerIndent: string;
  /**
   * Where the body text starts. Python: the start of the first body line after the signature
   * (and after a docstring, which is kept). Braces: just after `{`.
   */
  bodyStart: number;
  /** Where the body ends. Python: the end of the last body line. Braces: at the closing `}`. */
  bodyEnd: number;
  /** Indentation of the body's statements (guessed from the header when the body is empty). */
  bodyIndent: string;
  /** Python: the range inside the quotes of an existing docstring. */
  docstring?: { start: number; end: number };
}

export function usesIndentation(languageId: string): boolean {
  return languageId === 'python';
}

/** Lines the finder reads on either side of the cursor; a function starting further up is not found. */
const windowLines = 5_000;

/** Characters the finder reads on either side of the cursor, for documents with very long lines. */
const windowChars = 400_000;

/** A part of the document, `[start, end)`; offsets stay those of the whole text. */
interface View {
  start: number;
  end: number;
}

/**
 * The innermost function whose header or body contains `offset`. Only functions whose header lies
 * in the window around `offset` are found; a Python body longer than the window is still read to
 * its end, once.
 */
export function findEnclosingFunction(text: string, offset: number, languageId: string): FunctionSpan | undefined {
  const view = viewAround(text, offset);
  return usesIndentation(languageId) ? findPythonFunction(text, offset, view) : findBracedFunction(text, offset, view);
}

/** Up to `windowLines` whole lines and `windowChars` characters on either side of `offset`. */
function viewAround(text: string, offset: number): View {
  const floor = Math.max(0, offset - windowChars);
  let start = lineStartOf(text, offset);
  for (let n = 0; n < windowLines && start > floor; n++) {
    const previous = lineStartOf(text, start - 1);
    if (previous < floor) break;
    start = previous;
  }
  const ceiling = Math.min(text.length, offset + windowChars);
  let end = lineEndOf(text, offset);
  for (let n = 0; n < windowLines && end < ceiling; n++) {
    const next = lineEndOf(text, end + 1);
    if (next > ceiling) break;
    end = next;
  }
  return { start: Math.max(start, floor), end: Math.min(end, ceiling) };
}

/**
 * The function whose header starts at `headerStart` (e.g. a document symbol's range start),
 * not reaching beyond `limit`.
 */
export function locateFunctionAt(
  text: string,
  headerStart: number,
  languageId: string,
  limit = text.length,
): FunctionSpan | undefined {
  if (usesIndentation(languageId)) {
    const defMatch = /^[ \t]*(?:async[ \t]+)?def[ \t]+\w+/m;
    const region = text.slice(headerStart, limit);
    const m = defMatch.exec(region);
    if (!m) return undefined;
    return pythonSpanAt(text, headerStart + m.index, lineStartOf(text, headerStart));
  }
  // The first `{` after the header start that a function header leads to is the body. The symbol's
  // range bounds the scan below; the window above leaves room for the header and its annotations.
  const pairs = bracePairs(text, viewAround(text, headerStart).start, limit).sort((a, b) => a[0] - b[0]);
  for (const [open, close] of pairs) {
    if (open < headerStart || close > limit) continue;
    const span = bracedSpan(text, open, close);
    if (span) return span;
  }
  return undefined;
}

// ---------------------------------------------------------------- Python

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEndOf(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end < 0 ? text.length : end;
}

function findPythonFunction(text: string, offset: number, view: View): FunctionSpan | undefined {
  const defLine = /^([ \t]*)(?:async[ \t]+)?def[ \t]+\w+/gm;
  defLine.lastIndex = view.start;
  const starts: number[] = [];
  for (let m = defLine.exec(text); m && m.index <= offset; m = defLine.exec(text)) starts.push(m.index);
  // Nearest definition first: the innermost one that still contains the offset wins.
  for (const start of starts.reverse()) {
    const span = pythonSpanAt(text, start, undefined, view.end);
    if (span && offset <= Math.max(span.bodyEnd, lineEndOf(text, span.bodyStart))) return span;
  }
  return undefined;
}

/**
 * The function whose `def` is at `defStart`. Its body is read up to `scanEnd`; one that runs on
 * past it (and so contains everything up to there) is read on to its real end.
 */
function pythonSpanAt(text: string, defStart: number, headerStartHint?: number, scanEnd = text.length): FunctionSpan | undefined {
  const headerIndent = leadingWhitespace(text.slice(defStart, lineEndOf(text, defStart)));
  const name = /def[ \t]+(\w+)/.exec(text.slice(defStart, defStart + 200))?.[1];
  const colon = signatureColon(text, defStart);
  if (colon < 0) return undefined;
  let headerStart = headerStartHint ?? defStart;
  if (headerStartHint === undefined) headerStart = withDecorators(text, defStart, /^[ \t]*@/);

  const afterColon = text.slice(colon + 1, lineEndOf(text, colon));
  if (!isBlank(afterColon.replace(/#.*/, ''))) {
    // One-line function: `def f(): return 1`.
    const start = colon + 1 + (afterColon.length - afterColon.trimStart().length);
    return {
      style: 'indent', name, headerStart, headerIndent, bodyStart: start, bodyEnd: lineEndOf(text, colon),
      bodyIndent: headerIndent + '    ',
    };
  }

  const firstBodyLine = lineEndOf(text, colon) + 1;
  const baseWidth = indentWidth(headerIndent);
  let body = pythonBody(text, firstBodyLine, baseWidth, scanEnd);
  if (!body.ended) body = pythonBody(text, firstBodyLine, baseWidth, text.length);
  const span: FunctionSpan = {
    style: 'indent', name, headerStart, headerIndent,
    bodyStart: Math.min(firstBodyLine, text.length),
    bodyEnd: Math.max(body.end, Math.min(firstBodyLine, text.length)),
    bodyIndent: body.indent ?? headerIndent + '    ',
  };
  const doc = pythonDocstring(text, span.bodyStart, span.bodyEnd);
  if (doc) {
    span.docstring = { start: doc.contentStart, end: doc.contentEnd };
    span.bodyStart = Math.min(lineEndOf(text, doc.closeEnd) + 1, span.bodyEnd);
  }
  return span;
}

/**
 * The lines indented deeper than `baseWidth` from `firstLine` on, read up to `scanEnd`: where the
 * last of them ends, the indentation of the first, and whether a dedent (or the text's end) was seen.
 */
function pythonBody(
  text: string,
  firstLine: number,
  baseWidth: number,
  scanEnd: number,
): { end: number; indent?: string; ended: boolean } {
  let bodyEnd = firstLine - 1;
  let indent: string | undefined;
  let pos = firstLine;
  while (pos < scanEnd) {
    const end = lineEndOf(text, pos);
    const line = text.slice(pos, end);
    if (!isBlank(line)) {
      if (indentWidth(line) <= baseWidth) return { end: bodyEnd, indent, ended: true };
      indent ??= leadingWhitespace(line);
      bodyEnd = end;
    }
    pos = end + 1;
  }
  return { end: bodyEnd, indent, ended: scanEnd >= text.length };
}

/** Longest signature read; a real one is far shorter, and the bound keeps a broken file cheap. */
const maxSignatureChars = 10_000;

/** A `def` at the start of a line (sticky: tested at `lastIndex`). */
const defAt = /[ \t]*(?:async[ \t]+)?def[ \t]/y;

/**
 * The `:` that ends a `def` signature (parentheses and strings skipped), or -1. A following `def`
 * line ends the search: it cannot sit inside a signature, and stopping there keeps many unclosed
 * signatures from each being scanned to the end of the file.
 */
function signatureColon(text: string, defStart: number): number {
  let depth = 0;
  let quote: string | undefined;
  const end = Math.min(text.length, defStart + maxSignatureChars);
  for (let i = defStart; i < end; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (ch === ':' && depth === 0) return i;
    else if (ch === '\n' && depth === 0 && !/\\\s*$/.test(text.slice(lineStartOf(text, i), i))) return -1;
    else if (ch === '\n' && startsDef(text, i + 1)) return -1;
  }
  return -1;
}

function startsDef(text: string, lineStart: number): boolean {
  defAt.lastIndex = lineStart;
  return defAt.test(text);
}

/** An existing docstring as the body's first statement. */
function pythonDocstring(
  text: string,
  bodyStart: number,
  bodyEnd: number,
): { contentStart: number; contentEnd: number; closeEnd: number } | undefined {
  const region = text.slice(bodyStart, bodyEnd);
  const m = /^[ \t]*[rRuU]?("""|''')/.exec(region);
  if (!m) return undefined;
  const contentStart = bodyStart + m[0].length;
  // Searched in the body only: an unclosed docstring must not send the search to the end of the file.
  const closeInRegion = region.indexOf(m[1]!, m[0].length);
  if (closeInRegion < 0) return undefined;
  const close = bodyStart + closeInRegion;
  return { contentStart, contentEnd: close, closeEnd: close + 3 };
}

/** Moves a header start up over the decorator / annotation lines directly above it. */
function withDecorators(text: string, headerLineStart: number, decorator: RegExp): number {
  let start = lineStartOf(text, headerLineStart);
  while (start > 0) {
    const prevStart = lineStartOf(text, start - 1);
    const prev = text.slice(prevStart, start - 1);
    if (!decorator.test(prev)) break;
    start = prevStart;
  }
  return start;
}

// ---------------------------------------------------------------- braces

/**
 * Matching `{` `}` pairs in `[from, to)`, innermost last per position, skipping strings and
 * comments. A scan that starts inside a comment or string misreads it: callers start at a line.
 */
export function bracePairs(text: string, from = 0, to = text.length): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  const stack: number[] = [];
  for (let i = from; i < to; i++) {
    const ch = text[i];
    if (ch === '/' && text[i + 1] === '/') {
      i = lineEndOf(text, i);
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (ch === '"' || ch === "'" || ch === '`') {
      i = stringEnd(text, i);
    } else if (ch === '{') {
      stack.push(i);
    } else if (ch === '}') {
      const open = stack.pop();
      if (open !== undefined) pairs.push([open, i]);
    }
  }
  return pairs;
}

function stringEnd(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') i++;
    else if (ch === quote) return i;
    else if (ch === '\n' && quote !== '`') return i;
  }
  return text.length;
}

const controlKeyword = /^(?:\}\s*)?(?:else\s+)?(?:if|for|while|switch|catch|with|do|try|finally|else|foreach|lock|using|unsafe|loop|match|select)\b/;
const typeKeyword = /\b(?:class|interface|enum|struct|namespace|module|impl|trait|object|union)\b/;
const looksLikeFunction = /(?:\bfunction\b|=>\s*$|\)\s*(?::\s*[^{};=]+|->\s*[^{};=]+|throws\s+[^{};=]+)?\s*$|\bfn\s+\w+|\bfunc\b|\b(?:get|set|constructor|init)\b[^;]*$)/;

function findBracedFunction(text: string, offset: number, view: View): FunctionSpan | undefined {
  const pairs = bracePairs(text, view.start, view.end);
  const containing = pairs
    .filter(([open, close]) => open < offset && offset <= close)
    .sort((a, b) => b[0] - a[0]);
  for (const [open, close] of containing) {
    const span = bracedSpan(text, open, close);
    if (span) return span;
  }
  // The cursor on the header line itself, before its `{`.
  const lineEnd = lineEndOf(text, offset);
  for (const [open, close] of pairs) {
    if (open >= offset && open <= lineEnd) {
      const span = bracedSpan(text, open, close);
      if (span) return span;
    }
  }
  return undefined;
}

/** A function span when the code before the `{` at `open` is a function header. */
function bracedSpan(text: string, open: number, close: number): FunctionSpan | undefined {
  const header = headerBefore(text, open);
  if (header === undefined) return undefined;
  const headerText = text
    .slice(header, open)
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(?:@[\w.]+(?:\([^)]*\))?\s*)+/, '');
  if (controlKeyword.test(headerText) || typeKeyword.test(headerText) || !looksLikeFunction.test(headerText)) {
    return undefined;
  }
  const headerLine = lineStartOf(text, header);
  const headerIndent = leadingWhitespace(text.slice(headerLine, lineEndOf(text, headerLine)));
  const body = text.slice(open + 1, close);
  const firstBody = body.split('\n').slice(1).find((l) => !isBlank(l));
  const name = /(?:function\s*\*?\s*|fn\s+|func\s+(?:\([^)]*\)\s*)?)?([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*(?:=\s*(?:async\s*)?)?\(/.exec(headerText)?.[1];
  return {
    style: 'braces',
    name,
    headerStart: withDecorators(text, headerLine, /^[ \t]*@/),
    headerIndent,
    bodyStart: open + 1,
    bodyEnd: close,
    bodyIndent: firstBody !== undefined ? leadingWhitespace(firstBody) : headerIndent + '  ',
  };
}

/** Start of the statement that ends with the `{` at `open`: after the previous `;`, `{` or `}` or at a blank line. */
function headerBefore(text: string, open: number): number | undefined {
  let depth = 0;
  let i = open - 1;
  const floor = Math.max(0, open - 2000);
  for (; i >= floor; i--) {
    const ch = text[i];
    if (ch === ')' || ch === ']') depth++;
    else if (ch === '(' || ch === '[') {
      // An unclosed `(` before the `{`: an object literal in an argument or default value.
      if (--depth < 0) return undefined;
    } else if (depth === 0 && (ch === ';' || ch === '{' || ch === '}')) break;
    else if (depth === 0 && ch === '\n' && /^\s*$/.test(text.slice(lineStartOf(text, i), i))) break;
  }
  let start = i + 1;
  // Skip whitespace and whole comment lines directly above the header.
  for (;;) {
    while (start < open && /\s/.test(text.charAt(start))) start++;
    const rest = text.slice(start, open);
    const comment = /^(?:\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)/.exec(rest);
    if (!comment) break;
    start += comment[0].length;
  }
  return start < open ? start : undefined;
}
