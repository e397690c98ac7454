/**
 * `npm run bench`: the performance picture of the real inference child process — start-up and
 * memory, latency of inline-shaped requests, repeated requests and the split model's context
 * cache, typing into a real file with each document's context reused across keystrokes (cache on
 * and off), and the samplers side by side on the same tasks: HumanEval-infilling (pass@1) and the
 * real-code set (exact match, edit similarity, per language). Every timing is a median (p50) and
 * p95. Writes latest.md, latest.json and PNG charts to --out (default test/bench/results).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { LRUCache } from 'lru-cache';
import type { EngineClient } from '../../src/client/types';
import { cacheKey } from '../../src/completion/cacheKey';
import { windowChars } from '../../src/completion/contextWindow';
import { samplerKinds, type InfillRequest, type SamplerKind } from '../../src/protocol/protocol';
import { engineChoice, engineOptionSpecs, intOption, runMain } from '../../src/cli/options';
import { buildDocument, cursorOffsets, inlineContext, inlineRequest, windowForTokens } from './lib/contexts';
import { startEngine, type EngineOptions, type StartedEngine } from './lib/engine';
import { runEval, type EvalConfig, type EvalHooks, type EvalRun } from './lib/evalRun';
import { detectSandbox, Pool } from './lib/harness';
import { summarizeCell, type CellSummary, type LatencyCell } from './lib/latency';
import { fmt, markdownTable } from './lib/markdown';
import { renderHistogram, renderScatter } from './lib/plot/charts';
import { ProgressBar } from './lib/progress';
import { languageTable, samplerTable, scoreDefinitions } from './lib/report';
import { extensionDefaults, randomModels, runTyping, typingMarkdown, typingText, type TypingRun } from './lib/typing';
import { runInfo, runInfoMarkdown } from './lib/runInfo';
import { mean, percentile, summarize, type Summary } from './lib/stats';
import { evalDirEnvVar, defaultDataFile, loadTasks, realCodeDataFile, repoRoot, selectTasks, type InfillTask } from './lib/tasks';

const usage = `npm run bench -- [options]
  --quick          smoke run: few repetitions, 10 tasks, written to test-results/bench-quick
  --limit N        HumanEval tasks for the sampler comparison, evenly spaced (default 100)
  --real-limit N   real-code tasks per language, evenly spaced (default 40)
  --real-canvas N  canvas on the real-code set (default 64, or the model's limit)
  --reps N         timed requests per latency cell (default 20)
  --spawns N       child starts timed (default 3)
  --canvas N       canvas of the sampler comparison (default 32)
  --core-only      only the five headline sampler settings, no extra budgets on the frontier
  --real-data F    real-code tasks (default test/bench/realcode/tasks.jsonl.gz)
  --data FILE      tasks (default: SingleLine.jsonl.gz in eval/humaneval-infilling, or in $${evalDirEnvVar})
  --model DIR      model folder (default: the bundled model)
  --device D       auto | cpu | gpu (default auto)
  --threads N      CPU threads of the engine
  --out DIR        output folder (default test/bench/results)`;

const mib = (bytes: number) => bytes / 1024 ** 2;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** The sampler settings compared; `extra` adds budgets that only fill in the frontier plot. */
function samplerConfigs(canvas: number, extra: boolean): EvalConfig[] {
  const c = (kind: SamplerKind, steps: number, more: Partial<EvalConfig['sampler']> = {}): EvalConfig => ({ sampler: { kind, seed: 0, ...more }, canvas, steps });
  const configs = [
    c('lowConfidence', canvas),
    c('saber', canvas),
    c('saber', canvas, { remask: 'onDrop' }),
    c('lowConfidence', Math.max(1, Math.round(canvas / 4))),
    c('threshold', canvas, { threshold: 0.9 }),
  ];
  if (extra) configs.push(c('lowConfidence', Math.max(1, Math.round(canvas / 2))), c('lowConfidence', Math.max(1, Math.round(canvas / 8))), c('saber', Math.max(1, Math.round(canvas / 4))));
  return configs;
}

async function timeStartups(count: number, options: EngineOptions) {
  const spawnToReadyMs: number[] = [];
  const serverStartupMs: number[] = [];
  const rssAfterLoad: number[] = [];
  let engine: StartedEngine | undefined;
  for (let i = 0; i < count; i++) {
    if (engine) await engine.client.stop();
    engine = await startEngine(options);
    spawnToReadyMs.push(engine.spawnToReadyMs);
    serverStartupMs.push(engine.init.startupMs);
    rssAfterLoad.push((await engine.client.status()).rssBytes);
  }
  if (!engine) throw new Error('--spawns must be at least 1');
  return { engine, figures: { spawnToReadyMs: summarize(spawnToReadyMs), serverStartupMs: summarize(serverStartupMs), rssAfterLoadMiB: summarize(rssAfterLoad.map(mib)) } };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      limit: { type: 'string' },
      'real-limit': { type: 'string' },
      'real-canvas': { type: 'string' },
      'real-data': { type: 'string' },
      reps: { type: 'string' },
      spawns: { type: 'string' },
      canvas: { type: 'string' },
      'core-only': { type: 'boolean' },
      data: { type: 'string' },
      ...engineOptionSpecs,
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const quick = values.quick ?? false;
  const limit = intOption(values.limit, 'limit', quick ? 10 : 100);
  const realLimit = intOption(values['real-limit'], 'real-limit', quick ? 4 : 40);
  const realDataFile = values['real-data'] ? path.resolve(values['real-data']) : realCodeDataFile;
  const realTasks = selectTasks(loadTasks(realDataFile), realLimit);
  const reps = intOption(values.reps, 'reps', quick ? 4 : 20);
  const spawns = intOption(values.spawns, 'spawns', quick ? 1 : 3);
  const samplerCanvas = intOption(values.canvas, 'canvas', 32);
  const outDir = path.resolve(values.out ?? (quick ? path.join('test-results', 'bench-quick') : path.join(repoRoot, 'test', 'bench', 'results')));
  const dataFile = values.data ? path.resolve(values.data) : defaultDataFile();
  const allTasks = loadTasks(dataFile);
  const engineSettings = engineChoice(values);
  const benchStarted = performance.now();

  log(`start-up: ${spawns} child start(s)`);
  const { engine, figures: startup } = await timeStartups(spawns, engineSettings);
  const { client, init } = engine;
  const info = runInfo(init);
  try {
    const doc = buildDocument(allTasks);
    // ~1000 tokens, or as many as the model takes (its limit includes a few special tokens).
    const targets = { short: 200, long: Math.min(1000, init.model.maxContextTokens - 8) };
    // Cursors far enough into the document for a long window at up to 6 characters per token.
    const offsets = cursorOffsets(doc, reps + warmUpRounds, 1, targets.long * 6);
    const short = await calibrateWindow(client, doc, offsets.slice(0, 5), targets.short);
    const long = await calibrateWindow(client, doc, offsets.slice(0, 5), targets.long);
    const windows = { short: short.sizes, long: long.sizes };
    const canvases = [16, 32, 64].filter((n) => n <= init.model.maxCanvasTokens);
    log(`latency: ${canvases.length * 2} cells × ${reps} requests (+${warmUpRounds} warm-up); windows ${short.sizes} and ${long.sizes} characters`);
    const cells = await measureLatency(client, doc, offsets, windows, canvases);
    const latency = cells.map(summarizeCell);

    // The same request again and again: the server keeps no result cache, so this is the
    // floor of a model round trip; the extension answers a repeat from its LRU instead.
    const [firstOffset] = offsets;
    if (firstOffset === undefined) throw new Error('the latency document offers no cursor offsets');
    const repeatParams = inlineRequest(inlineContext(doc, firstOffset, windows.short), 32);
    const repeatMs: number[] = [];
    for (let i = 0; i < reps + 1; i++) repeatMs.push((await timedInfill(client, repeatParams)).ms);
    const lruHitUs = timeLruHit(inlineContext(doc, firstOffset, windowChars(init.model.maxContextTokens)));

    // Samplers side by side on the same tasks, HumanEval then real code.
    const tasks = selectTasks(allTasks, limit);
    const extraBudgets = !quick && !values['core-only'];
    const sandbox = await detectSandbox();
    const hooks = { maxContextTokens: init.model.maxContextTokens, sandbox };
    const runs = await compareSamplers(client, 'samplers', tasks, samplerConfigs(samplerCanvas, extraBudgets), hooks);
    const realCanvas = Math.min(intOption(values['real-canvas'], 'real-canvas', 64), init.model.maxCanvasTokens);
    const realRuns = await compareSamplers(client, 'real code', realTasks, samplerConfigs(realCanvas, extraBudgets), hooks);
    const status = await client.status();

    // Typing into a real file, on models of the shipped shape that can extend their context.
    const made = randomModels(typingContexts);
    const typing = 'skipped' in made ? made : await runTyping(made.dirs, engineSettings, typingText(quick ? 40 : 200), extensionDefaults(typingIntervalMs), log);
    if ('skipped' in typing) log(`typing: skipped (${typing.skipped})`);
    const wallMs = performance.now() - benchStarted;

    const report: Report = {
      run: info,
      data: dataFile,
      realData: realDataFile,
      settings: { quick, limit: tasks.length, realLimit, realTasks: realTasks.length, reps, spawns, samplerCanvas, realCanvas, targets, windows },
      wallMs,
      startup: { ...startup, rssAtEndMiB: mib(status.rssBytes), heapUsedAtEndMiB: mib(status.heapUsedBytes) },
      latency,
      repeat: { firstMs: repeatMs[0]!, repeatsMs: summarize(repeatMs.slice(1)), lruHitUs },
      samplers: runs.map((r) => r.summary),
      realCode: realRuns.map((r) => ({ ...r.summary, meanPassesByLanguage: meanPassesByLanguage(r) })),
      typing,
    };
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
    const plots = await writePlots(outDir, report, cells, runs, realRuns);
    const markdown = renderMarkdown(report, runs, realRuns);
    fs.writeFileSync(path.join(outDir, 'latest.md'), markdown);
    console.log(markdown);
    console.log(`wrote ${outDir}/{latest.md,latest.json,${plots.join(',')}}`);
  } finally {
    await client.stop();
  }
}

const warmUpRounds = 2;
/** The typing benchmark: context lengths of its models, and one keystroke every this many ms. */
const typingContexts = [448, 1536];
const typingIntervalMs = 200;

async function compareSamplers(
  client: EngineClient,
  name: string,
  tasks: readonly InfillTask[],
  configs: EvalConfig[],
  hooks: Pick<EvalHooks, 'maxContextTokens' | 'sandbox'>,
): Promise<EvalRun[]> {
  log(`${name}: ${configs.length} settings × ${tasks.length} tasks`);
  const bar = new ProgressBar(name, tasks.length * configs.length);
  try {
    return await runEval(client, tasks, configs, { ...hooks, pool: new Pool(2), onProgress: (done) => bar.update(done) });
  } finally {
    bar.finish();
  }
}

/** Mean forward passes per language (requests that succeeded), the x of the per-language frontiers. */
function meanPassesByLanguage(run: EvalRun): Record<string, number> {
  const languages = Object.keys(run.summary.byLanguage);
  return Object.fromEntries(languages.map((l) => [l, mean(run.records.filter((r) => r.language === l && r.status !== 'error').map((r) => r.forwardPasses))]));
}

async function timedInfill(client: EngineClient, params: InfillRequest.Params): Promise<{ result: InfillRequest.Result; ms: number }> {
  const t0 = performance.now();
  const result = await client.infill(params);
  return { result, ms: performance.now() - t0 };
}

/** Every (context, canvas) cell on the same cursors, cells interleaved per cursor, warm-up rounds dropped. */
async function measureLatency(client: EngineClient, doc: string, offsets: number[], windows: Record<LatencyCell['context'], number>, canvases: number[]): Promise<LatencyCell[]> {
  const cells: LatencyCell[] = [];
  for (const context of ['short', 'long'] as const) for (const canvas of canvases) cells.push({ context, canvas, samples: [], latencyMs: [] });
  const bar = new ProgressBar('latency', offsets.length * cells.length);
  let sent = 0;
  try {
    for (const [i, offset] of offsets.entries()) {
      for (const cell of cells) {
        const { result, ms } = await timedInfill(client, inlineRequest(inlineContext(doc, offset, windows[cell.context]), cell.canvas));
        bar.update(++sent);
        if (i < warmUpRounds) continue;
        cell.samples.push(result.stats);
        cell.latencyMs.push(ms);
      }
    }
  } finally {
    bar.finish();
  }
  return cells;
}

/**
 * Window sizes that give about `targetTokens` context tokens with this model's tokenizer on the
 * benchmark document: start from a guess of characters per token, send probe requests on a few
 * cursors, and rescale by target / median promptTokens until within 5%. Code has at least one
 * character per token, so a first guess of 1 can never be cut by the engine's own limit.
 */
async function calibrateWindow(client: EngineClient, doc: string, cursors: readonly number[], targetTokens: number): Promise<{ sizes: number; charsPerToken: number; promptTokens: number }> {
  let charsPerToken = 1;
  let sizes = windowForTokens(targetTokens, charsPerToken);
  let promptTokens = 0;
  for (let round = 0; round < 5; round++) {
    sizes = windowForTokens(targetTokens, charsPerToken);
    const counts: number[] = [];
    for (const offset of cursors) counts.push((await client.infill(inlineRequest(inlineContext(doc, offset, sizes), 16))).stats.promptTokens);
    promptTokens = percentile(counts, 50);
    if (Math.abs(promptTokens - targetTokens) <= 0.05 * targetTokens) break;
    charsPerToken *= Math.min(4, Math.max(0.5, targetTokens / Math.max(1, promptTokens)));
  }
  return { sizes, charsPerToken, promptTokens };
}

/** Microseconds for the extension-side cache hit: hashing the window into a key plus an LRU lookup. */
function timeLruHit(window: { prefix: string; suffix: string }): Summary {
  const cache = new LRUCache<string, string>({ max: 64 });
  const settings = { maxTokens: 32, stepBudget: 32, sampler: { kind: 'saber' } };
  cache.set(cacheKey({ ...window, language: 'python', settings }), 'cached completion');
  const us: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    const hit = cache.get(cacheKey({ ...window, language: 'python', settings }));
    us.push((performance.now() - t0) * 1000);
    if (hit === undefined) throw new Error('cache key is not stable');
  }
  return summarize(us);
}

type Report = {
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

function renderMarkdown(r: Report, runs: EvalRun[], realRuns: EvalRun[]): string {
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
    `- whole run: ${(r.wallMs / 1000).toFixed(0)} s. Regenerate: \`npm run bench\` (see test/bench/README.md).`,
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
    '### Real code (test/bench/realcode)',
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

const frontierFile = (language: string) => `frontier-${language}.png`;

/** Writes the charts; returns their file names. */
async function writePlots(outDir: string, r: Report, cells: LatencyCell[], runs: EvalRun[], realRuns: EvalRun[]): Promise<string[]> {
  // One colour per sampler family and remask mode, fixed across charts; extra budgets share it.
  const group = (x: EvalRun) => x.config.sampler.kind + (x.config.sampler.remask === 'onDrop' ? ' remask=onDrop' : '');
  const groups = samplerKinds.flatMap((k) => [k, `${k} remask=onDrop`]);
  const frontier = async (file: string, title: string, subtitle: string, yLabel: string, points: { x: number; y: number; label: string; group: string }[]) => {
    const chart = await renderScatter({ title: `Speed vs quality: ${title}`, subtitle: `${subtitle}; dashed: Pareto frontier`, xLabel: 'mean forward passes per completion', yLabel }, points, { yDomain: [0, 0.1], groups });
    fs.writeFileSync(path.join(outDir, file), chart);
    return file;
  };
  const files = [
    await frontier('frontier.png', 'HumanEval-infilling', `${r.run.model.name}, ${r.settings.limit} SingleLine tasks, canvas ${r.settings.samplerCanvas}`, 'pass@1', runs.map((x) => ({ x: x.summary.forwardPasses.mean, y: x.summary.pass1 ?? 0, label: x.summary.config, group: group(x) }))),
  ];
  for (const [language, { tasks: n }] of Object.entries(r.realCode[0]?.byLanguage ?? {})) {
    // Every configuration ran the same tasks, so each has every language; realCode follows realRuns.
    const points = r.realCode.map((s, i) => ({ x: s.meanPassesByLanguage[language]!, y: s.byLanguage[language]!.editSimilarity, label: s.config, group: group(realRuns[i]!) }));
    files.push(await frontier(frontierFile(language), `${language}, real code`, `${r.run.model.name}, ${n} tasks, canvas ${r.settings.realCanvas}`, 'edit similarity', points));
  }
  const histCells = cells.filter((c) => c.canvas === 32);
  const hist = await renderHistogram(
    { title: 'Inline latency, canvas 32', subtitle: `${r.run.model.name} on ${r.run.device.provider}, ${histCells[0]?.latencyMs.length ?? 0} requests per context`, xLabel: 'round-trip latency (ms)', yLabel: 'requests' },
    histCells.map((c) => ({ name: `${c.context} (~${fmt(summarize(c.samples.map((s) => s.promptTokens)).p50, 0)} tokens)`, values: c.latencyMs })),
  );
  fs.writeFileSync(path.join(outDir, 'latency-histogram.png'), hist);
  return [...files, 'latency-histogram.png'];
}

runMain(main);
