/**
 * `npm run eval`: quality on HumanEval-infilling through the real inference child process.
 * Every task goes out as a `dllm/infill` command request; the completion is tested with python3
 * (pass@1) and compared with the reference (exact match). Writes results.jsonl, summary.json and
 * summary.md to --out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { SamplerOptions } from '../src/protocol/protocol';
import { deviceSettings, floatOption, intOption, oneOf, runMain, samplerKinds } from './lib/cli';
import { startEngine } from './lib/engine';
import { runEval, type EvalConfig, type EvalRun } from './lib/evalRun';
import { detectSandbox, Pool } from './lib/harness';
import { ProgressBar } from './lib/progress';
import { samplerTable } from './lib/report';
import { runInfo, runInfoMarkdown } from './lib/runInfo';
import { dataEnvVar, defaultDataFile, loadTasks } from './lib/tasks';

const usage = `npm run eval -- [options]
  --data FILE      tasks, .jsonl or .jsonl.gz (default: ../shared/eval/humaneval-infilling/SingleLine.jsonl.gz, or $${dataEnvVar})
  --sampler S      saber | lowConfidence | threshold (default saber)
  --canvas N       canvas length = maxTokens (default 32)
  --steps N        step budget (default = canvas)
  --remask M       saber: always | onDrop | off
  --threshold X    threshold sampler's confidence (default 0.9)
  --seed N         sampler seed (default 0)
  --limit N        first N tasks only
  --model DIR      model folder (default: the bundled model)
  --device D       auto | cpu | gpu (default auto)
  --threads N      CPU threads of the engine (default: engine's choice)
  --jobs N         test programs run at once (default 2)
  --out DIR        output folder (default test-results/eval)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      sampler: { type: 'string' },
      canvas: { type: 'string' },
      steps: { type: 'string' },
      remask: { type: 'string' },
      threshold: { type: 'string' },
      seed: { type: 'string' },
      limit: { type: 'string' },
      model: { type: 'string' },
      device: { type: 'string' },
      threads: { type: 'string' },
      jobs: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const canvas = intOption(values.canvas, 'canvas', 32);
  const sampler: SamplerOptions = { kind: oneOf(values.sampler, 'sampler', samplerKinds, 'saber'), seed: intOption(values.seed, 'seed', 0, 0) };
  if (values.remask) sampler.remask = oneOf(values.remask, 'remask', ['always', 'onDrop', 'off'] as const, 'always');
  if (sampler.kind === 'threshold') sampler.threshold = floatOption(values.threshold, 'threshold', 0.9);
  const config: EvalConfig = { sampler, canvas, steps: intOption(values.steps, 'steps', canvas) };
  const dataFile = values.data ? path.resolve(values.data) : defaultDataFile();
  const outDir = path.resolve(values.out ?? path.join('test-results', 'eval'));

  let tasks = loadTasks(dataFile);
  if (values.limit) tasks = tasks.slice(0, intOption(values.limit, 'limit', tasks.length));
  const sandbox = await detectSandbox();
  const pool = new Pool(intOption(values.jobs, 'jobs', 2));
  const engine = await startEngine({ modelDir: values.model, device: oneOf(values.device, 'device', deviceSettings, 'auto'), threads: values.threads ? intOption(values.threads, 'threads', 0) : undefined });
  const info = runInfo(engine.init);
  console.log(`${tasks.length} tasks from ${dataFile}`);
  console.log(`model ${info.model.name} on ${info.device.provider}, ready in ${engine.spawnToReadyMs.toFixed(0)} ms; tests: ${sandbox.python}, network ${sandbox.network === 'namespace' ? 'cut off (unshare -n)' : 'blocked by proxy settings only'}`);

  const bar = new ProgressBar('eval', tasks.length);
  const started = performance.now();
  let run: EvalRun;
  try {
    [run] = await runEval(engine.client, tasks, [config], { pool, sandbox, onProgress: (done, passed) => bar.update(done, `pass@1 ${(passed / done).toFixed(3)}`) });
  } finally {
    bar.finish();
    await engine.client.stop();
  }
  const wallMs = performance.now() - started;
  const { records, summary } = run;

  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'results.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const json = { run: info, data: dataFile, sandbox: { network: sandbox.network, timeoutMs: sandbox.timeoutMs }, spawnToReadyMs: engine.spawnToReadyMs, wallMs, summary };
  fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(json, null, 2) + '\n');
  const table = samplerTable([summary]);
  const markdown = [
    `# HumanEval-infilling: ${path.basename(dataFile)}`,
    '',
    runInfoMarkdown(info),
    `- ${summary.tasks} tasks in ${(wallMs / 1000).toFixed(1)} s; step budget ${config.steps}; pass@1 = test program exits 0 within ${sandbox.timeoutMs} ms`,
    `- finish reasons: ${Object.entries(summary.finishReasons).map(([reason, n]) => `${reason} ${n}`).join(', ')}`,
    '',
    table,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(outDir, 'summary.md'), markdown);
  console.log(`\n${table}\n\nfinish reasons: ${JSON.stringify(summary.finishReasons)}; wall ${(wallMs / 1000).toFixed(1)} s`);
  console.log(`wrote ${outDir}/{results.jsonl,summary.json,summary.md}`);
}

runMain(main);
