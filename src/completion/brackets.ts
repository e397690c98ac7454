/**
 * Bracket bookkeeping for completion text: which closers in a completion close something the
 * completion itself did not open (they close "beyond" the completion, into the prefix).
 * A rough scanner: brackets inside '…' and "…" on one line, or `…`, are ignored; comments are not parsed.
 */

const openerOf: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
const openers = new Set(['(', '[', '{']);

export function isCloser(ch: string): boolean {
  return ch in openerOf;
}

/** Indices of closers that have no opener inside `text`, in order. */
export function unmatchedCloserIndices(text: string): number[] {
  const stack: string[] = [];
  const unmatched: number[] = [];
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote || (ch === '\n' && quote !== '`')) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') quote = ch;
    else if (openers.has(ch)) stack.push(ch);
    else if (isCloser(ch)) {
      if (stack.length > 0 && stack[stack.length - 1] === openerOf[ch]) stack.pop();
      else if (stack.length === 0) unmatched.push(i);
      // A mismatched closer with openers pending is left alone: the scanner is only a heuristic.
    }
  }
  return unmatched;
}

/** How many times `ch` occurs in `text`. */
export function countChar(text: string, ch: string): number {
  let n = 0;
  for (const c of text) if (c === ch) n++;
  return n;
}
