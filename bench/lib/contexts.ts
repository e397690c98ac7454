/**
 * Inline-shaped requests for the latency benchmark: a Python document made of the data set's
 * reference solutions, cursors placed mid-line as if typing, and windows cut the way the
 * extension cuts them (src/completion/contextWindow).
 */
import { cutWindow, type ContextWindow } from '../../src/completion/contextWindow';
import { infillRequest } from '../../src/completion/infillRequest';
import { mulberry32 } from '../../src/engine/sampler/random';
import type { InfillRequest } from '../../src/protocol/protocol';
import type { InfillTask } from './tasks';

/** One complete solution per HumanEval problem (prompt + reference middle + suffix), in data order. */
export function buildDocument(tasks: readonly InfillTask[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const t of tasks) {
    const problem = /HumanEval\/\d+/.exec(t.task_id)?.[0] ?? t.task_id;
    if (seen.has(problem)) continue;
    seen.add(problem);
    parts.push(`${t.prompt}${t.canonical_solution}${t.suffix}`.trimEnd());
  }
  return parts.join('\n\n\n') + '\n';
}

/**
 * `count` cursor offsets, each in the middle of a non-blank line (after its indentation and about
 * half its text, as while typing), at least `minOffset` characters into the document.
 */
export function cursorOffsets(doc: string, count: number, seed: number, minOffset = 0): number[] {
  const candidates: number[] = [];
  let start = 0;
  for (const line of doc.split('\n')) {
    const indent = line.length - line.trimStart().length;
    const body = line.length - indent;
    if (body >= 8 && start >= minOffset) candidates.push(start + indent + Math.floor(body / 2));
    start += line.length + 1;
  }
  if (candidates.length === 0) throw new Error(`no line to place a cursor on after offset ${minOffset}`);
  const random = mulberry32(seed); // the engine's seeded source: every run places the same cursors
  return Array.from({ length: count }, () => candidates[Math.floor(random() * candidates.length)]!);
}

/** The window the extension would send for a cursor at `offset`, `maxChars` characters in all. */
export function inlineContext(doc: string, offset: number, maxChars: number): ContextWindow {
  return cutWindow(doc.slice(0, offset), doc.slice(offset), maxChars);
}

/** Characters for about `tokens` context tokens at `charsPerToken`. */
export function windowForTokens(tokens: number, charsPerToken: number): number {
  return Math.round(tokens * charsPerToken);
}

/** An inline completion request as the extension sends it with default settings: saber, budget = canvas. */
export function inlineRequest(window: { prefix: string; suffix: string }, canvas: number): InfillRequest.Params {
  return infillRequest({ window, language: 'python', budget: { maxTokens: canvas, stepBudget: canvas, sampler: { kind: 'saber', seed: 0 } }, mode: 'inline' });
}
