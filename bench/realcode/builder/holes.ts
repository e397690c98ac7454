/**
 * Where holes may be cut in one file. Four shapes, each the text a developer would want filled at
 * that cursor: the rest of a line, a whole line, a few lines, a block's body. Middles are kept
 * short enough for a 64-token canvas, and never cut in a comment, a docstring or the file's
 * leading licence header, nor made only of closing brackets.
 */
import type { Random } from '../../../src/engine/sampler/random';
import { indentWidth, isBlank, leadingWhitespace } from '../../../src/completion/lines';
import { usesBraces, type Language } from './language';
import { classifyLines, type LineInfo } from './lex';

export type HoleKind = 'lineRest' | 'line' | 'lines' | 'body';

export const holeKinds: readonly HoleKind[] = ['lineRest', 'line', 'lines', 'body'];

/** Middle sizes in characters, and line counts for the multi-line shapes. */
export const holeLimits = {
  lineRest: { minChars: 4, maxChars: 80 },
  line: { minChars: 4, maxChars: 100 },
  lines: { minLines: 2, maxLines: 5, maxChars: 200 },
  body: { minLines: 2, maxLines: 8, maxChars: 240 },
} as const;

export interface Hole {
  kind: HoleKind;
  /** 0-based index of the line the hole starts on. */
  line: number;
  /** The middle is `text.slice(start, end)`. */
  start: number;
  end: number;
}

export type HolesByKind = Record<HoleKind, Hole[]>;

const jsOpeners = [
  /^(}\s*)?(else|try|finally|do|if|for|while|catch)\b/,
  /^(export\s+)?(default\s+)?(async\s+)?function\b/,
  /\)\s*(:\s*[^=;{}]+)?\{$/, // a signature or a condition: `) {`, `): Type {`
  /=>\s*\{$/,
];

/** Lines that open a block whose body is worth filling (functions, methods, if/for/while…). */
const openers: Record<Language, readonly RegExp[]> = {
  typescript: jsOpeners,
  javascript: jsOpeners,
  python: [/^(async\s+)?(def|for|with)\b.*:$/, /^(if|elif|else|while|try|except|finally)\b.*:$/],
  go: [/^(}\s*)?(else\b|if\b|for\b|func\b)/, /\bfunc\s*\([^)]*\)[^{]*\{$/],
  rust: [/^((pub(\([^)]*\))?|async|const|unsafe|extern(\s+"[^"]*")?|default)\s+)*fn\b/, /^(}\s*)?(else|if|for|while|loop)\b/, /\|\s*\{$/],
};

/** Blocks that are not bodies of code: type declarations and switch/match tables. */
const notOpener = /^((export|declare|default|abstract|pub(\([^)]*\))?)\s+)*(class|interface|enum|namespace|module|type|struct|impl|trait|switch|match|select)\b/;

/** Every hole of each kind in `text` (`\n` line ends). `random` picks a cut inside a line and a line count. */
export function findHoles(text: string, language: Language, random: Random): HolesByKind {
  const lines = text.split('\n');
  const info = classifyLines(text, language);
  const starts: number[] = [];
  let at = 0;
  for (const line of lines) {
    starts.push(at);
    at += line.length + 1;
  }
  // The licence/comment header: everything before the first line of code.
  const headerEnd = info.findIndex((l) => l.kind === 'code');
  const holes: HolesByKind = { lineRest: [], line: [], lines: [], body: [] };
  if (headerEnd < 0) return holes;
  const file: FileLines = { lines, info, starts, language };
  for (let i = headerEnd; i < lines.length; i++) {
    // A line that opens a multi-line string is not cut: its middle would end inside the string.
    const facts = info[i];
    if (facts?.kind !== 'code' || !facts.closed) continue;
    const lineRest = lineRestHole(file, i, random);
    if (lineRest) holes.lineRest.push(lineRest);
    const line = lineHole(file, i);
    if (line) holes.line.push(line);
    const multi = linesHole(file, i, random);
    if (multi) holes.lines.push(multi);
    const body = bodyHole(file, i);
    if (body) holes.body.push(body);
  }
  return holes;
}

/** `lines`, `info` and `starts` run in parallel, one entry per line: a line index reads all three. */
interface FileLines {
  lines: string[];
  info: LineInfo[];
  starts: number[];
  language: Language;
}

/** Has something to predict: a word, a number or a string, not only brackets and punctuation. */
function substantive(middle: string): boolean {
  return /[\w$'"`]/.test(middle);
}

function startsWithComment(s: string, language: Language): boolean {
  return language === 'python' ? s.startsWith('#') : /^(\/\/|\/\*)/.test(s);
}

/** A single-line middle worth asking for: size, content, and no trailing blanks to guess. */
function goodLineMiddle(middle: string, min: number, max: number, language: Language): boolean {
  return (
    middle.length >= min &&
    middle.length <= max &&
    middle === middle.trimEnd() &&
    substantive(middle) &&
    !startsWithComment(middle.trimStart(), language)
  );
}

const operatorChar = /[/*=!<>&|:+\-?.%^~]/;

function lineRestHole(f: FileLines, i: number, random: Random): Hole | undefined {
  const line = f.lines[i]!;
  const indent = leadingWhitespace(line).length;
  // The cursor comes after the indentation and at least one word.
  const word = /^[^\w$]*[\w$]+/.exec(line.slice(indent));
  if (!word) return undefined;
  const { minChars, maxChars } = holeLimits.lineRest;
  const cuts: number[] = [];
  for (let p = indent + word[0].length; p <= line.length - minChars; p++) {
    // Not inside an identifier, a number or an operator (`=>`, `/*`, `&&`…): a cursor there is
    // rarely where completion is asked for.
    if (/[\w$]/.test(line.charAt(p - 1)) && /[\w$]/.test(line.charAt(p))) continue;
    if (operatorChar.test(line.charAt(p - 1)) && operatorChar.test(line.charAt(p))) continue;
    if (goodLineMiddle(line.slice(p), minChars, maxChars, f.language)) cuts.push(p);
  }
  if (cuts.length === 0) return undefined;
  const cut = cuts[Math.floor(random() * cuts.length)]!;
  return { kind: 'lineRest', line: i, start: f.starts[i]! + cut, end: f.starts[i]! + line.length };
}

function lineHole(f: FileLines, i: number): Hole | undefined {
  const line = f.lines[i]!;
  const indent = leadingWhitespace(line).length;
  const { minChars, maxChars } = holeLimits.line;
  if (!goodLineMiddle(line.slice(indent), minChars, maxChars, f.language)) return undefined;
  return { kind: 'line', line: i, start: f.starts[i]! + indent, end: f.starts[i]! + line.length };
}

/** The middle from line `first`'s indentation to the end of line `last`, if it is worth asking for. */
function blockMiddle(f: FileLines, first: number, last: number, maxChars: number): { start: number; end: number } | undefined {
  // `first` and `last` are lines of the file (callers keep them below its line count).
  const firstLine = f.lines[first]!;
  const lastLine = f.lines[last]!;
  const start = f.starts[first]! + leadingWhitespace(firstLine).length;
  const end = f.starts[last]! + lastLine.length;
  if (end - start > maxChars || isBlank(firstLine) || isBlank(lastLine)) return undefined;
  if (lastLine !== lastLine.trimEnd() || !f.info[last]!.closed) return undefined;
  let code = 0;
  for (let k = first; k <= last; k++) {
    if (f.info[k]!.kind === 'code' && substantive(f.lines[k]!)) code++;
  }
  return code > 0 ? { start, end } : undefined;
}

function linesHole(f: FileLines, i: number, random: Random): Hole | undefined {
  const { minLines, maxLines, maxChars } = holeLimits.lines;
  if (!substantive(f.lines[i]!)) return undefined;
  const options: Array<{ start: number; end: number }> = [];
  for (let count = minLines; count <= maxLines && i + count - 1 < f.lines.length; count++) {
    const middle = blockMiddle(f, i, i + count - 1, maxChars);
    if (middle) options.push(middle);
  }
  if (options.length === 0) return undefined;
  const pick = options[Math.floor(random() * options.length)]!;
  return { kind: 'lines', line: i, ...pick };
}

/** The last body line of the block opened on line `i`, or undefined when it is not a block we fill. */
function blockEnd(lines: readonly string[], info: readonly LineInfo[], i: number, language: Language): number | undefined {
  const opener = lines[i]!.trim();
  if (notOpener.test(opener) || !openers[language].some((re) => re.test(opener))) return undefined;
  if (usesBraces(language) ? !opener.endsWith('{') || opener === '{' : !opener.endsWith(':')) return undefined;
  const width = indentWidth(lines[i]!);
  let last: number | undefined;
  for (let j = i + 1; j < lines.length; j++) {
    if (isBlank(lines[j]!) || info[j]!.continued) continue;
    if (indentWidth(lines[j]!) <= width) {
      // A brace block must close where its indentation ends; anything else is misindented code.
      if (usesBraces(language) && !lines[j]!.trimStart().startsWith('}')) return undefined;
      return last;
    }
    last = j;
  }
  return usesBraces(language) ? undefined : last;
}

function bodyHole(f: FileLines, i: number): Hole | undefined {
  const last = blockEnd(f.lines, f.info, i, f.language);
  const { minLines, maxLines, maxChars } = holeLimits.body;
  if (last === undefined || last - i < minLines || last - i > maxLines) return undefined;
  if (isBlank(f.lines[i + 1]!) || indentWidth(f.lines[i + 1]!) <= indentWidth(f.lines[i]!)) return undefined;
  const middle = blockMiddle(f, i + 1, last, maxChars);
  return middle && { kind: 'body', line: i + 1, ...middle };
}
