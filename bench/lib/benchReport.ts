/**
 * What `npm run bench` writes: the report it keeps as latest.json, and latest.md rendered from it
 * and the runs behind it (start-up and memory, latency, caches, typing, the samplers side by side).
 */
import * as path from 'node:path';
import type { EvalRun } from './evalRun';
import type { CellSummary } from './latency';
import { fmt, markdownTable } from './markdown';
import { languageTable, samplerTable, scoreDefinitions } from './report';
import { runInfoMarkdown, type runInfo } from './runInfo';
import type { Summary } from './stats';
import { typingMarkdown, type TypingRun } from './typing';

export type BenchReport = {
  run: ReturnType<typeof runInfo>;
  data: string;
  realData: string;
  settings: { limit: number; realLimit: number; realTasks: number; reps: number; spawns: number; samplerCanvas: number; realCanvas: number; targets: Record<'short' | 'long', number>; quick: boolean; windows: Record<'short' | 'long', number> };
  wallMs: number;
  startup: { spawnToReadyMs: Summary; serverStartupMs: Summary; rssAfterLoadMiB: Summary; rssAtEndMiB: number; heapUsedAtEndMiB: number };
  latency: CellSummary[];
  repeat: { firstMs: number; repeatsMs: Summary; lruHitUs: Summary };
  samplers: EvalRun['summary'][];
  realCode: (EvalRun['summary'] & { meanPassesByLanguage: Record<string, number> })[];
  typing: TypingRun[] | { skipped: string };
};

const pair = (s: Summary, d = 1) => [fmt(s.p50, d), fmt(s.p95, d)];

/** The quality reference among the settings: lowConfidence with steps = canvas. */
const referenceOf = (runs: readonly EvalRun[]) => runs.find((x) => x.config.sampler.kind === 'lowConfidence' && x.config.steps === x.config.canvas)?.summary;

export function renderMarkdown(r: BenchReport, runs: EvalRun[], realRuns: EvalRun[]): string {
  const baseline = referenceOf(runs);
  const realBaseline = referenceOf(realRuns);
  const languages = Object.keys(realRuns[0]?.summary.byLanguage ?? {});
  const split = r.run.model.contract === 'split';
  const startupTable = markdownTable(
    ['figure', 'p50', 'p95', 'n'],
    [
      ['child spawn → initialize answered, ms (measured by the client)', ...pair(r.startup.spawnToReadyMs, 0), String(r.startup.spawnToReadyMs.n)],
      ['process start → model ready, ms (reported by the server)', ...pair(r.startup.serverStartupMs, 0), String(r.startup.serverStartupMs.n)],
      ['child RSS after loading the model, MiB', ...pair(r.startup.rssAfterLoadMiB, 0), String(r.startup.rssAfterLoadMiB.n)],
      ['child RSS at the end of the benchmark, MiB', fmt(r.startup.rssAtEndMiB, 0), 'n/a', '1'],
    ],
  );
  const latencyTable = markdownTable(
    ['context', 'canvas', 'prompt tokens p50', 'latency p50 ms', 'latency p95 ms', 'server p50 ms', 'server p95 ms', 'passes p50', 'passes p95', 'tokens/pass', 'n'],
    r.latency.map((c) => [c.context, String(c.canvas), fmt(c.promptTokens.p50, 0), ...pair(c.latencyMs), ...pair(c.serverMs), ...pair(c.forwardPasses), fmt(c.tokensPerForward, 2), String(c.latencyMs.n)]),
  );
  const cacheTable = markdownTable(
    ['context', 'canvas', 'context pass p50 ms', 'denoise pass p50 ms', 'passes p50', 'context once p50 ms', 'context every pass p50 ms (computed)', 'p95 (computed)', 'saving'],
    r.latency.map((c) => [
      c.context,
      String(c.canvas),
      fmt(c.encodeMs.p50),
      fmt(c.denoisePerPassMs.p50, 2),
      fmt(c.forwardPasses.p50),
      fmt(c.withCacheMs.p50),
      fmt(c.withoutCacheMs.p50),
      fmt(c.withoutCacheMs.p95),
      `${fmt(c.withoutCacheMs.p50 / c.withCacheMs.p50, 1)}x`,
    ]),
  );
  return [
    '# dLLM Complete benchmark',
    '',
    runInfoMarkdown(r.run),
    `- data: ${path.basename(r.data)} and the real-code set; ${r.settings.reps} timed requests per latency cell; sampler comparisons on ${r.settings.limit} HumanEval tasks (canvas ${r.settings.samplerCanvas}) and ${r.settings.realTasks} real-code tasks (canvas ${r.settings.realCanvas}), evenly spaced through each file${r.settings.quick ? '; QUICK smoke run' : ''}`,
    `- whole run: ${(r.wallMs / 1000).toFixed(0)} s. Regenerate: \`npm run bench\` (see bench/README.md).`,
    '',
    '## Start-up and memory',
    '',
    startupTable,
    '',
    '## Inline-shaped requests through the JSON-RPC channel',
    '',
    `Saber, step budget = canvas, \`mode: inline\`; windows cut like the extension's, sized to about ${r.settings.targets.short} (short) and ${r.settings.targets.long} (long) context tokens by probe requests; the table shows the tokens the engine actually saw. Latency = round trip seen by the client; server = the engine's own total.`,
    '',
    latencyTable,
    '',
    '![latency histogram](latency-histogram.png)',
    '',
    '## Repeated requests and caches',
    '',
    `- The same inline request sent ${r.repeat.repeatsMs.n + 1} times in a row: first ${fmt(r.repeat.firstMs)} ms, repeats p50 ${fmt(r.repeat.repeatsMs.p50)} ms / p95 ${fmt(r.repeat.repeatsMs.p95)} ms. The server keeps no result cache, so a repeat costs a full model run.`,
    `- In the extension a repeat is answered from its LRU: hashing a full inline window into the cache key plus the lookup costs p50 ${fmt(r.repeat.lruHitUs.p50, 1)} µs / p95 ${fmt(r.repeat.lruHitUs.p95, 1)} µs (measured on the same \`cacheKey\` and \`lru-cache\` the extension uses, outside VS Code).`,
    '',
    split
      ? 'Split model, context cache: the context pass (prefix + suffix) runs once per request and every denoise pass runs only the canvas. "Context every pass" is **computed, not measured**: forward passes × context-pass time + denoise time, per request, from the engine\'s own encodeMs/denoiseMs — what re-running the context each pass would cost (a lower bound: a full-sequence pass would also run the canvas alongside).'
      : `This model uses the ${r.run.model.contract} contract: every pass runs the whole sequence, so there is no context cache to compare.`,
    '',
    split ? cacheTable : '',
    '',
    '## Typing: a document\'s context reused across keystrokes',
    '',
    'skipped' in r.typing
      ? `Skipped: ${r.typing.skipped}.`
      : `On randomly initialised models of the shipped training config's shape (models/train/configs/gpu.json: a causalSuffixFirst context with room for typing before the suffix), whatever --model says: the bundled model's context is bidirectional and cannot be extended. Random weights are never confident, so every request runs the whole step budget; the timings, not the completions, are what counts. \`npm run bench:typing -- --model DIR\` types into any model folder.\n\n${typingMarkdown(r.typing)}`,
    '',
    '## Samplers side by side',
    '',
    `Same tasks, same child process, requests interleaved task by task; ${scoreDefinitions(3000)}. "passes vs" = mean forward passes relative to ${baseline?.config ?? 'the reference'}.`,
    '',
    '### HumanEval-infilling (Python, tested)',
    '',
    samplerTable(
      runs.map((x) => x.summary),
      baseline,
    ),
    '',
    '![speed-quality frontier](frontier.png)',
    '',
    '### Real code (bench/realcode)',
    '',
    `${r.settings.realTasks} tasks (${r.settings.realLimit} per language at most), holes shaped like editor use; no tests, so the scores compare with the file's own text.`,
    '',
    samplerTable(
      realRuns.map((x) => x.summary),
      realBaseline,
    ),
    '',
    languageTable(realRuns.map((x) => x.summary)),
    '',
    ...languages.map((l) => `![speed-quality frontier, ${l}](${frontierFile(l)})`),
    '',
  ].join('\n');
}

/** The per-language frontier chart's file name, written by benchPlots.ts and linked from latest.md. */
export const frontierFile = (language: string) => `frontier-${language}.png`;
