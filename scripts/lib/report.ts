/** The sampler comparison table, shared by `npm run eval` and `npm run bench`. */
import type { EvalSummary } from './evalRun';
import { fmt, markdownTable, pct } from './markdown';

/**
 * One row per configuration. `baseline` (the quality reference, lowConfidence with steps = canvas)
 * adds a column of mean forward passes relative to it: 0.25x = a quarter of the passes.
 * "passed blank" counts passing tasks whose middle was empty — tests that do not need the line.
 */
export function samplerTable(summaries: readonly EvalSummary[], baseline?: EvalSummary): string {
  const header = ['sampler', 'canvas', 'tasks', 'pass@1', 'passed blank', 'exact match', 'passes mean', 'passes p50', 'passes p95'];
  if (baseline) header.push(`passes vs ${baseline.config}`);
  header.push('tokens/pass', 'latency mean ms', 'latency p50 ms', 'latency p95 ms', 'timeouts', 'errors');
  const rows = summaries.map((s) => {
    const row = [s.config, String(s.canvas), String(s.tasks), pct(s.pass1), String(s.passedBlank), pct(s.exactMatch), fmt(s.forwardPasses.mean, 2), fmt(s.forwardPasses.p50, 1), fmt(s.forwardPasses.p95, 1)];
    if (baseline) row.push(`${fmt(s.forwardPasses.mean / baseline.forwardPasses.mean, 2)}x`);
    row.push(fmt(s.tokensPerForward, 2), fmt(s.latencyMs.mean), fmt(s.latencyMs.p50), fmt(s.latencyMs.p95), String(s.timeouts), String(s.errors));
    return row;
  });
  return markdownTable(header, rows);
}
