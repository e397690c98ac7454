/**
 * The file side of `npm run complete`: reading a source file (text only, bounded in size), the
 * `FILE:LINE:COL` position in it as an editor counts lines and columns, and the request's prefix and
 * suffix around that position.
 */
import * as fs from 'fs';
import * as path from 'path';
import { looksBinary, maxDocumentChars } from '../completion/documentGuards';
import { dominantLineEnd, toLf, type LineEnd } from '../protocol/text';
import { UsageError } from './options';

export interface Position {
  line: number;
  column: number;
}

export interface Target {
  file: string;
  start: Position;
  /** Present for a selection `L1:C1-L2:C2`. */
  end?: Position;
}

export interface Split {
  /** Text before the target, LF line ends (the request's contract). */
  prefix: string;
  /** Text after the target, LF line ends. */
  suffix: string;
  /** The text of the selection being regenerated (empty at a cursor), as the file has it. */
  selected: string;
  /** The file's line ends, for showing the answer as the file would hold it. */
  lineEnd: LineEnd;
}

/** Parses `FILE:LINE:COL` or `FILE:L1:C1-L2:C2`; the file name may itself contain colons. */
export function parseTarget(spec: string): Target {
  const match = /^(.+?):(\d+):(\d+)(?:-(\d+):(\d+))?$/.exec(spec);
  if (!match) throw new UsageError(`"${spec}" is not FILE:LINE:COL or FILE:L1:C1-L2:C2`);
  const [, file, line, column, endLine, endColumn] = match;
  const target: Target = { file: file!, start: { line: Number(line), column: Number(column) } };
  if (endLine !== undefined) target.end = { line: Number(endLine), column: Number(endColumn) };
  return target;
}

/**
 * Where each line's text starts and ends (its line break excluded). `\r\n`, `\n` and a lone `\r`
 * each end a line, as in VS Code, so a position means the same line here as in the editor.
 */
export function lineRanges(text: string): { start: number; end: number }[] {
  const lines: { start: number; end: number }[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 10 && c !== 13) continue;
    lines.push({ start, end: i });
    if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
    start = i + 1;
  }
  lines.push({ start, end: text.length });
  return lines;
}

/**
 * The offset of a 1-based line and column (UTF-16 code units, as VS Code counts). The column may
 * be one past the last character of the line (the end of the line).
 */
export function offsetOf(text: string, at: Position, file: string): number {
  const lines = lineRanges(text);
  const where = `${file}:${at.line}:${at.column}`;
  const range = lines[at.line - 1];
  if (range === undefined) {
    throw new UsageError(`${where}: line ${at.line} is outside the file, which has ${lines.length} line${lines.length === 1 ? '' : 's'}`);
  }
  const { start, end } = range;
  const length = end - start;
  if (at.column < 1 || at.column > length + 1) {
    throw new UsageError(`${where}: column ${at.column} is outside line ${at.line}, which has ${length} character${length === 1 ? '' : 's'} (columns 1 to ${length + 1})`);
  }
  return start + at.column - 1;
}

export function splitAt(text: string, target: Target): Split {
  const start = offsetOf(text, target.start, target.file);
  const end = target.end ? offsetOf(text, target.end, target.file) : start;
  if (end < start) throw new UsageError(`${target.file}: the selection ends before it starts`);
  return { prefix: toLf(text.slice(0, start)), suffix: toLf(text.slice(end)), selected: text.slice(start, end), lineEnd: dominantLineEnd(text) };
}

const languageByExtension: Record<string, string> = {
  '.py': 'python', '.pyi': 'python', '.ts': 'typescript', '.mts': 'typescript', '.cts': 'typescript', '.tsx': 'typescriptreact',
  '.js': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript', '.jsx': 'javascriptreact', '.rs': 'rust', '.go': 'go',
  '.java': 'java', '.kt': 'kotlin', '.c': 'c', '.h': 'c', '.cc': 'cpp', '.cpp': 'cpp', '.hpp': 'cpp', '.cs': 'csharp',
  '.rb': 'ruby', '.php': 'php', '.swift': 'swift', '.sh': 'shellscript', '.bash': 'shellscript', '.lua': 'lua',
  '.json': 'json', '.md': 'markdown', '.html': 'html', '.css': 'css', '.sql': 'sql', '.yaml': 'yaml', '.yml': 'yaml',
};

export function languageOf(file: string): string {
  return languageByExtension[path.extname(file).toLowerCase()] ?? '';
}

/** The extension's limit on a document: beyond it the file is refused before it is checked for binary content. */
export const maxFileChars = maxDocumentChars;

/** UTF-8 takes at most 3 bytes per UTF-16 code unit: a file larger than this has too many characters. */
const maxFileBytes = 3 * maxFileChars;

/**
 * The text of `file` (`shownAs` in messages); a usage error when it cannot be read, is larger than
 * the extension would take, or looks binary anywhere in it (not only at its start: text followed
 * by binary data is still binary).
 */
export function readSource(file: string, shownAs = file): string {
  const where = file === shownAs ? file : `${shownAs} (${file})`;
  let text: string;
  try {
    const bytes = fs.statSync(file).size;
    // Refused before reading, so a huge file costs nothing.
    if (bytes > maxFileBytes) throw new UsageError(tooLarge(shownAs, `${bytes} bytes`));
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    throw new UsageError(`cannot read ${where}: ${why}`);
  }
  if (text.length > maxFileChars) throw new UsageError(tooLarge(shownAs, `${text.length} characters`));
  if (looksBinary(text)) {
    throw new UsageError(`${shownAs} looks binary (NUL bytes or many control characters); give a text file`);
  }
  return text;
}

function tooLarge(shownAs: string, size: string): string {
  return `${shownAs} is too large (${size}); files up to ${maxFileChars} characters are read, as in the editor`;
}
