/**
 * Command infills framed as holes. The model is not instruction-tuned: it fills a hole from both
 * sides, so "write a doc comment" becomes "here is `/**\n * ` before and `\n *\/` after: fill
 * the middle". A hole says where its text lands in the document and which framing text sits
 * around the model's middle. Plain TypeScript; offsets are UTF-16 indices into the document text.
 */
import type { FunctionSpan } from './functionFinder';

export interface InfillHole {
  /** The document range the result replaces (`start === end` inserts). */
  start: number;
  end: number;
  /** Framing text between the document's text before `start` and the model's middle. */
  before: string;
  /** Framing text between the middle and the document's text after `end`. */
  after: string;
  /** How the middle becomes the inserted text; returns undefined when nothing useful is left. */
  format: MiddleFormat;
}

export type MiddleFormat =
  | { kind: 'verbatim' }
  | { kind: 'docstring'; indent: string; quote: string }
  | { kind: 'blockComment'; indent: string }
  | { kind: 'lineComment'; indent: string; marker: string };

/** Model prefix and suffix for a hole in `text`. */
export function holeContext(text: string, hole: InfillHole): { prefix: string; suffix: string } {
  return { prefix: text.slice(0, hole.start) + hole.before, suffix: hole.after + text.slice(hole.end) };
}

/** The text that replaces `[start, end)`, or undefined when the middle is unusable. */
export function renderHole(hole: InfillHole, middle: string): string | undefined {
  const body = formatMiddle(hole.format, middle);
  return body === undefined ? undefined : hole.before + body + hole.after;
}

function formatMiddle(format: MiddleFormat, middle: string): string | undefined {
  switch (format.kind) {
    case 'verbatim':
      return middle.trim() === '' ? undefined : middle;
    case 'docstring': {
      const cut = middle.indexOf(format.quote);
      const text = (cut >= 0 ? middle.slice(0, cut) : middle).replace(/\s+$/, '').replace(/^[ \t]+/, '');
      if (text === '') return undefined;
      const lines = text.split('\n').map((l) => l.trimEnd());
      // A multi-line docstring closes on its own line, at the body's indentation.
      return lines.length > 1 ? `${lines.join('\n')}\n${format.indent}` : text;
    }
    case 'blockComment': {
      const cut = middle.indexOf('*/');
      const text = (cut >= 0 ? middle.slice(0, cut) : middle).trim();
      if (text === '') return undefined;
      return text
        .split('\n')
        .map((l, i) => (i === 0 ? l.trimEnd() : `${format.indent} * ${l.replace(/^\s*\*?\s?/, '').trimEnd()}`.trimEnd()))
        .join('\n');
    }
    case 'lineComment': {
      const text = middle.trim();
      if (text === '') return undefined;
      const marker = new RegExp(`^\\s*${escapeRegExp(format.marker.trim())}\\s?`);
      return text
        .split('\n')
        .map((l, i) => (i === 0 ? l.trimEnd() : `${format.indent}${format.marker}${l.replace(marker, '').trim()}`.trimEnd()))
        .join('\n');
    }
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replace a function's body, keeping its signature (and a Python docstring). */
export function functionBodyHole(span: FunctionSpan): InfillHole {
  return { start: span.bodyStart, end: span.bodyEnd, before: '', after: '', format: { kind: 'verbatim' } };
}

/** Doc-comment marker per language; the C family's `/** *\/` is the default. */
const lineCommentMarkers: Record<string, string> = {
  rust: '/// ',
  go: '// ',
  ruby: '# ',
  shellscript: '# ',
  perl: '# ',
  r: "#' ",
  elixir: '# ',
  lua: '--- ',
  csharp: '/// ',
  fsharp: '/// ',
};

/**
 * A doc comment for `span`: Python gets a docstring right after the signature (replacing the
 * existing one's content), other languages a comment above the header.
 */
export function docCommentHole(text: string, span: FunctionSpan, languageId: string): InfillHole {
  if (span.style === 'indent') {
    if (span.docstring) {
      return { start: span.docstring.start, end: span.docstring.end, before: '', after: '', format: { kind: 'docstring', indent: span.bodyIndent, quote: '"""' } };
    }
    const quoteFormat = { kind: 'docstring', indent: span.bodyIndent, quote: '"""' } as const;
    if (!isLineStart(text, span.bodyStart)) {
      // A one-line function (`def f(): return 1`): the docstring and the body move to lines of their own.
      return { start: span.bodyStart, end: span.bodyStart, before: `\n${span.bodyIndent}"""`, after: `"""\n${span.bodyIndent}`, format: quoteFormat };
    }
    return { start: span.bodyStart, end: span.bodyStart, before: `${span.bodyIndent}"""`, after: '"""\n', format: quoteFormat };
  }
  const indent = span.headerIndent;
  const existing = existingCommentAbove(text, span.headerStart);
  const start = existing ?? span.headerStart;
  const marker = lineCommentMarkers[languageId];
  if (marker) {
    return { start, end: span.headerStart, before: indent + marker, after: '\n', format: { kind: 'lineComment', indent, marker } };
  }
  return {
    start,
    end: span.headerStart,
    before: `${indent}/**\n${indent} * `,
    after: `\n${indent} */\n`,
    format: { kind: 'blockComment', indent },
  };
}

function isLineStart(text: string, offset: number): boolean {
  return offset === 0 || text[offset - 1] === '\n';
}

/** Start of a `/** … *\/` or `///` comment ending on the line right above `headerStart`, if any. */
function existingCommentAbove(text: string, headerStart: number): number | undefined {
  const above = text.slice(0, headerStart);
  const block = /(^|\n)([ \t]*\/\*\*[\s\S]*?\*\/[ \t]*\n)$/.exec(above);
  if (block) return above.length - block[2]!.length;
  const lines = /(^|\n)((?:[ \t]*(?:\/\/\/|#'|---)[^\n]*\n)+)$/.exec(above);
  if (lines) return above.length - lines[2]!.length;
  return undefined;
}
