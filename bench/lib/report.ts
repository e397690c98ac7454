/** The tables shared by `npm run eval` and `npm run bench`. */
import type { EvalSummary, ScoreSummary } from './evalRun';
import { fmt, markdownTable, pct } from './markdown';

/** pass@1 is `n/a` for a set without tests. */
const pass1 = (s: ScoreSummary) => (s.pass1 === null ? 'n/a' : pct(s.pass1));

/**
 * One row per configuration. `baseline` (the quality reference, lowConfidence with steps = canvas)
 * adds a column of mean forward passes relative to it: 0.25x = a quarter of the passes.
 * "passed blank" counts passing tasks whose middle was empty — tests that do not need the line.
 */
export function samplerTable(summaries: readonly EvalSummary[], baseline?: EvalSummary): string {
  const tested = summaries.some((s) => s.tested > 0);
  const header = ['sampler', 'canvas', 'tasks'];
  if (tested) header.push('pass@1', 'passed blank');
  header.push('exact match', 'edit similarity', 'passes mean', 'passes p50', 'passes p95');
  if (baseline) header.push(`passes vs ${baseline.config}`);
  header.push('tokens/pass', 'latency mean ms', 'latency p50 ms', 'latency p95 ms');
  if (tested) header.push('timeouts');
  header.push('errors');
  const rows = summaries.map((s) => {
    const row = [s.config, String(s.canvas), String(s.tasks)];
    if (tested) row.push(pass1(s), String(s.passedBlank));
    row.push(pct(s.exactMatch), fmt(s.editSimilarity, 3), fmt(s.forwardPasses.mean, 2), fmt(s.forwardPasses.p50, 1), fmt(s.forwardPasses.p95, 1));
    if (baseline) row.push(`${fmt(s.forwardPasses.mean / baseline.forwardPasses.mean, 2)}x`);
    row.push(fmt(s.tokensPerForward, 2), fmt(s.latencyMs.mean), fmt(s.latencyMs.p50), fmt(s.latencyMs.p95));
    if (tested) row.push(String(s.timeouts));
    row.push(String(s.errors));
    return row;
  });
  return markdownTable(header, rows);
}

/** One configuration's figures per language (or per hole shape), with the whole set last. */
export function breakdownTable(summary: EvalSummary, by: 'byLanguage' | 'byHole'): string {
  const groups = Object.entries(summary[by]);
  const tested = summary.tested > 0;
  const header = [by === 'byLanguage' ? 'language' : 'hole', 'tasks'];
  if (tested) header.push('tested', 'pass@1');
  header.push('exact match', 'edit similarity');
  const row = (name: string, s: ScoreSummary) => [name, String(s.tasks), ...(tested ? [String(s.tested), pass1(s)] : []), pct(s.exactMatch), fmt(s.editSimilarity, 3)];
  return markdownTable(header, [...groups.map(([name, s]) => row(name, s)), row('all', summary)]);
}

/** Several configurations side by side, exact match and edit similarity per language. */
export function languageTable(summaries: readonly EvalSummary[]): string {
  const languages = [...new Set(summaries.flatMap((s) => Object.keys(s.byLanguage)))].sort();
  const header = ['sampler', ...languages.flatMap((l) => [`${l} exact`, `${l} edit sim.`])];
  const rows = summaries.map((s) => [s.config, ...languages.flatMap((l) => [pct(s.byLanguage[l]?.exactMatch), fmt(s.byLanguage[l]?.editSimilarity, 3)])]);
  return markdownTable(header, rows);
}

/** What the score columns mean, for a report's header. */
export function scoreDefinitions(testTimeoutMs: number): string {
  return `exact match and edit similarity (1 − Levenshtein distance / longer length) ignore trailing whitespace; pass@1 = the test program exits 0 within ${testTimeoutMs} ms`;
}
