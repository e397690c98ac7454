/**
 * `npm run bench`: the performance picture of the real inference child process — start-up and
 * memory, latency of inline-shaped requests, repeated requests and the split model's context
 * cache, typing into a real file with each document's context reused across keystrokes (cache on
 * and off), and the samplers side by side on the same tasks: HumanEval-infilling (pass@1) and the
 * real-code set (exact match, edit similarity, per language). Every timing is a median (p50) and
 * p95. Writes latest.md, latest.json and PNG charts to --out (default bench/results). The
 * timing is lib/measure.ts, the report lib/benchReport.ts and its charts lib/benchPlots.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { EngineClient } from '../src/client/types';
import { windowChars } from '../src/completion/contextWindow';
import type { SamplerKind } from '../src/protocol/protocol';
import { engineChoice, engineOptionSpecs, intOption, runMain } from '../src/cli/options';
import { writePlots } from './lib/benchPlots';
import { renderMarkdown, type BenchReport } from './lib/benchReport';
import { buildDocument, cursorOffsets, inlineContext, inlineRequest } from './lib/contexts';
import { runEval, type EvalConfig, type EvalHooks, type EvalRun } from './lib/evalRun';
import { detectSandbox, Pool } from './lib/harness';
import { summarizeCell } from './lib/latency';
import { calibrateWindow, measureLatency, mib, timedInfill, timeLruHit, timeStartups, warmUpRounds } from './lib/measure';
import { ProgressBar } from './lib/progress';
import { extensionDefaults, randomModels, runTyping, typingText } from './lib/typing';
import { runInfo } from './lib/runInfo';
import { mean, summarize } from './lib/stats';
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
  --real-data F    real-code tasks (default bench/realcode/tasks.jsonl.gz)
  --data FILE      tasks (default: SingleLine.jsonl.gz in eval/humaneval-infilling, or in $${evalDirEnvVar})
  --model DIR      model folder (default: the bundled model)
  --device D       auto | cpu | gpu (default auto)
  --threads N      CPU threads of the engine
  --out DIR        output folder (default bench/results)`;

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
  const outDir = path.resolve(values.out ?? (quick ? path.join('test-results', 'bench-quick') : path.join(repoRoot, 'bench', 'results')));
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

    const report: BenchReport = {
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

runMain(main);
