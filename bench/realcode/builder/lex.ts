/**
 * A rough line-by-line lexer: enough to tell code lines from comment lines, docstrings and the
 * insides of multi-line strings, so that no hole is cut in prose. It is a heuristic (JavaScript
 * regular expressions and `${}` nesting are guessed), never a parser.
 */
import type { Language } from './language';

export type LineKind = 'code' | 'comment' | 'string' | 'blank';

export interface LineInfo {
  kind: LineKind;
  /** True when the line starts inside a multi-line comment or string (its indentation means nothing). */
  continued: boolean;
  /** True when the line ends outside any comment or string, so a hole may end there. */
  closed: boolean;
}

type Mode = { mode: 'code' } | { mode: 'block' } | { mode: 'string'; close: string; escapes: boolean };

const code: Mode = { mode: 'code' };
const wordChar = /[\w$]/;
/** Tokens after which a `/` starts a regular expression rather than a division. */
const beforeRegex = /(^|[(,=:[!&|?{};+\-*%<>~^]|\b(return|typeof|case|in|of|yield|await|void|delete|throw))\s*$/;

/** Classifies every line of `text` (split on `\n`). */
export function classifyLines(text: string, language: Language): LineInfo[] {
  const out: LineInfo[] = [];
  let state: Mode = code;
  for (const line of text.split('\n')) {
    const first = line.search(/\S/);
    if (first < 0) {
      out.push({ kind: 'blank', continued: state.mode !== 'code', closed: state.mode === 'code' });
      continue;
    }
    const startedIn = state.mode;
    const scan = language === 'python' ? scanPython(line, state) : scanBraces(line, state, language);
    state = scan.state;
    let kind: LineKind;
    if (startedIn === 'block') kind = 'comment';
    else if (startedIn === 'string') kind = 'string';
    else kind = scan.firstToken;
    out.push({ kind, continued: startedIn !== 'code', closed: state.mode === 'code' });
  }
  return out;
}

interface Scan {
  state: Mode;
  /** What the first token of a line that started in code is. */
  firstToken: 'code' | 'comment' | 'string';
}

/** Finds `close` from `from`, skipping backslash escapes where the string has them; -1 if absent. */
function findClose(line: string, from: number, close: string, escapes: boolean): number {
  for (let i = from; i < line.length; i++) {
    if (escapes && line[i] === '\\') {
      i++;
      continue;
    }
    if (line.startsWith(close, i)) return i;
  }
  return -1;
}

/** The first token is a string only if nothing but a comma or closer follows it (a docstring or data line). */
function stringLine(line: string, end: number): 'code' | 'string' {
  return end < 0 || /^[\s,)\]}]*(#.*|\/\/.*)?$/.test(line.slice(end)) ? 'string' : 'code';
}

function scanPython(line: string, start: Mode): Scan {
  let state = start;
  let i = 0;
  if (state.mode === 'string') {
    const end = findClose(line, 0, state.close, state.escapes);
    if (end < 0) return { state, firstToken: 'string' };
    i = end + state.close.length;
    state = code;
  }
  const first = line.search(/\S/);
  let firstToken: Scan['firstToken'] = 'code';
  while (i < line.length) {
    const c = line[i];
    if (c === '#') {
      if (i === first) firstToken = 'comment';
      break;
    }
    const literal = /^([rRbBuUfF]{0,2})("""|'''|"|')/.exec(line.slice(i));
    if (literal && (i === 0 || !wordChar.test(line.charAt(i - 1)))) {
      // Both groups always take part in a match (the prefix may be empty).
      const raw = /r/i.test(literal[1]!);
      const quote = literal[2]!;
      const end = findClose(line, i + literal[0].length, quote, !raw);
      if (i === first) firstToken = stringLine(line, end < 0 ? -1 : end + quote.length);
      if (end < 0) {
        // Only triple quotes span lines; an unclosed single quote is a syntax error we ignore.
        if (quote.length === 3) return { state: { mode: 'string', close: quote, escapes: !raw }, firstToken };
        break;
      }
      i = end + quote.length;
      continue;
    }
    i++;
  }
  return { state: code, firstToken };
}

function scanBraces(line: string, start: Mode, language: Language): Scan {
  let state = start;
  let i = 0;
  if (state.mode !== 'code') {
    const close = state.mode === 'block' ? '*/' : state.close;
    const end = findClose(line, 0, close, state.mode === 'string' && state.escapes);
    if (end < 0) return { state, firstToken: 'comment' };
    i = end + close.length;
    state = code;
  }
  const js = language === 'typescript' || language === 'javascript';
  const first = line.search(/\S/);
  let firstToken: Scan['firstToken'] = 'code';
  const mark = (kind: 'comment' | 'string', at: number, end: number) => {
    if (at === first) firstToken = kind === 'comment' ? 'comment' : stringLine(line, end);
  };
  while (i < line.length) {
    const c = line[i];
    const next = line[i + 1];
    if (c === '/' && next === '/') {
      mark('comment', i, -1);
      break;
    }
    if (c === '/' && next === '*') {
      mark('comment', i, -1);
      const end = line.indexOf('*/', i + 2);
      if (end < 0) return { state: { mode: 'block' }, firstToken };
      i = end + 2;
      continue;
    }
    let multi: Mode | undefined;
    let close = '';
    let escapes = true;
    let open = 1;
    if (c === '"') {
      close = '"';
      if (language === 'rust') multi = { mode: 'string', close, escapes };
    } else if (c === '`' && (js || language === 'go')) {
      close = '`';
      escapes = js;
      multi = { mode: 'string', close, escapes };
    } else if (c === "'" && language !== 'rust') {
      close = "'";
    } else if (c === "'" && /^'(\\[^']{1,10}|[^\\'])'/.test(line.slice(i))) {
      close = "'"; // a Rust char literal, not a lifetime
    } else if (language === 'rust' && c === 'r' && /^r#*"/.test(line.slice(i)) && (i === 0 || !wordChar.test(line.charAt(i - 1)))) {
      const hashes = /^r(#*)"/.exec(line.slice(i))?.[1] ?? '';
      close = `"${hashes}`;
      escapes = false;
      open = hashes.length + 2;
      multi = { mode: 'string', close, escapes };
    } else if (js && c === '/' && beforeRegex.test(line.slice(0, i))) {
      const end = regexEnd(line, i + 1);
      if (end > 0) {
        i = end;
        continue;
      }
    }
    if (close === '') {
      i++;
      continue;
    }
    const end = findClose(line, i + open, close, escapes);
    mark('string', i, end < 0 ? -1 : end + close.length);
    if (end < 0) {
      if (multi) return { state: multi, firstToken };
      break;
    }
    i = end + close.length;
  }
  return { state: code, firstToken };
}

/** The index after a regular expression literal's closing `/` (and flags), or -1 if the line has none. */
function regexEnd(line: string, from: number): number {
  let inClass = false;
  for (let i = from; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') i++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) {
      let j = i + 1;
      while (j < line.length && /[a-z]/.test(line.charAt(j))) j++;
      return j;
    }
  }
  return -1;
}
