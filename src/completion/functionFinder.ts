/**
 * Finds the function around a position without a language server: by indentation for Python,
 * by braces for the C family (TS/JS, Java, C#, Go, Rust, …). Used by "Regenerate Function Body"
 * and "Insert Doc Comment" when no document symbols are available, and to find the body inside
 * a symbol's range when they are. Plain TypeScript; offsets are UTF-16 indices into `text`.
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

/** The innermost function whose header or body contains `offset`. */
export function findEnclosingFunction(text: string, offset: number, languageId: string): FunctionSpan | undefined {
  return usesIndentation(languageId) ? findPythonFunction(text, offset) : findBracedFunction(text, offset);
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
  // The first `{` after the header start that a function header leads to is the body.
  const pairs = bracePairs(text).sort((a, b) => a[0] - b[0]);
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

function findPythonFunction(text: string, offset: number): FunctionSpan | undefined {
  const defLine = /^([ \t]*)(?:async[ \t]+)?def[ \t]+\w+/gm;
  const starts: number[] = [];
  for (let m = defLine.exec(text); m && m.index <= offset; m = defLine.exec(text)) starts.push(m.index);
  // Nearest definition first: the innermost one that still contains the offset wins.
  for (let i = starts.length - 1; i >= 0; i--) {
    const span = pythonSpanAt(text, starts[i]);
    if (span && offset <= Math.max(span.bodyEnd, lineEndOf(text, span.bodyStart))) return span;
  }
  return undefined;
}

function pythonSpanAt(text: string, defStart: number, headerStartHint?: number): FunctionSpan | undefined {
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
  let bodyEnd = firstBodyLine - 1;
  let bodyIndent: string | undefined;
  let pos = firstBodyLine;
  while (pos < text.length) {
    const end = lineEndOf(text, pos);
    const line = text.slice(pos, end);
    if (!isBlank(line)) {
      if (indentWidth(line) <= baseWidth) break;
      bodyIndent ??= leadingWhitespace(line);
      bodyEnd = end;
    }
    pos = end + 1;
  }
  const span: FunctionSpan = {
    style: 'indent', name, headerStart, headerIndent,
    bodyStart: Math.min(firstBodyLine, text.length),
    bodyEnd: Math.max(bodyEnd, Math.min(firstBodyLine, text.length)),
    bodyIndent: bodyIndent ?? headerIndent + '    ',
  };
  const doc = pythonDocstring(text, span.bodyStart, span.bodyEnd);
  if (doc) {
    span.docstring = { start: doc.contentStart, end: doc.contentEnd };
    span.bodyStart = Math.min(lineEndOf(text, doc.closeEnd) + 1, span.bodyEnd);
  }
  return span;
}

/** The `:` that ends a `def` signature (parentheses and strings skipped), or -1. */
function signatureColon(text: string, defStart: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = defStart; i < text.length; i++) {
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
  }
  return -1;
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
  const close = text.indexOf(m[1], contentStart);
  if (close < 0 || close > bodyEnd) return undefined;
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

/** Matching `{` `}` pairs, innermost last per position, skipping strings and comments. */
export function bracePairs(text: string): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  const stack: number[] = [];
  for (let i = 0; i < text.length; i++) {
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

function findBracedFunction(text: string, offset: number): FunctionSpan | undefined {
  const containing = bracePairs(text)
    .filter(([open, close]) => open < offset && offset <= close)
    .sort((a, b) => b[0] - a[0]);
  for (const [open, close] of containing) {
    const span = bracedSpan(text, open, close);
    if (span) return span;
  }
  // The cursor on the header line itself, before its `{`.
  const lineEnd = lineEndOf(text, offset);
  for (const [open, close] of bracePairs(text)) {
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
    while (start < open && /\s/.test(text[start])) start++;
    const rest = text.slice(start, open);
    const comment = /^(?:\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)/.exec(rest);
    if (!comment) break;
    start += comment[0].length;
  }
  return start < open ? start : undefined;
}
