/**
 * `npm run eval`: quality on a task file through the real inference child process. Every task
 * goes out as a `dllm/infill` command request; the completion is compared with the reference
 * (exact match, edit similarity) and, where the task has tests, tested with python3 (pass@1).
 * Writes results.jsonl, summary.json and summary.md to --out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { remaskModes, samplerKinds, type SamplerOptions } from '../src/protocol/protocol';
import { engineChoice, engineOptionSpecs, floatOption, intOption, oneOf, runMain } from '../src/cli/options';
import { startEngine } from './lib/engine';
import { runEval, scoreRecords, type EvalConfig, type EvalRun, type TaskRecord } from './lib/evalRun';
import { detectSandbox, Pool } from './lib/harness';
import { ProgressBar } from './lib/progress';
import { breakdownTable, samplerTable, scoreDefinitions } from './lib/report';
import { runInfo, runInfoMarkdown } from './lib/runInfo';
import { evalDirEnvVar, defaultDataFile, filterLanguages, loadTasks, realCodeDataFile, selectTasks } from './lib/tasks';

const usage = `npm run eval -- [options]
  --data FILE      tasks, .jsonl or .jsonl.gz (default: SingleLine.jsonl.gz in eval/humaneval-infilling, or in $${evalDirEnvVar});
                   "realcode" = the real-code benchmark in bench/realcode
  --language L     only these languages (comma-separated VS Code ids)
  --sampler S      ${samplerKinds.join(' | ')} (default saber)
  --canvas N       canvas length = maxTokens (default 32)
  --steps N        step budget (default = canvas)
  --remask M       saber: always | onDrop | off
  --threshold X    threshold sampler's confidence (default 0.9)
  --seed N         sampler seed (default 0)
  --limit N        at most N tasks per language, evenly spaced through the file
  --model DIR      model folder (default: the bundled model)
  --device D       auto | cpu | gpu (default auto)
  --threads N      CPU threads of the engine (default: engine's choice)
  --refresh-every K  a converted model's cached mode: refresh every K passes, 0 = exact (default: the engine's)
  --jobs N         test programs run at once (default 2)
  --out DIR        output folder (default test-results/eval)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      language: { type: 'string' },
      sampler: { type: 'string' },
      canvas: { type: 'string' },
      steps: { type: 'string' },
      remask: { type: 'string' },
      threshold: { type: 'string' },
      seed: { type: 'string' },
      limit: { type: 'string' },
      ...engineOptionSpecs,
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
  if (values.remask) sampler.remask = oneOf(values.remask, 'remask', remaskModes, 'always');
  if (sampler.kind === 'threshold') sampler.threshold = floatOption(values.threshold, 'threshold', 0.9);
  const config: EvalConfig = { sampler, canvas, steps: intOption(values.steps, 'steps', canvas) };
  const dataFile = values.data === 'realcode' ? realCodeDataFile : values.data ? path.resolve(values.data) : defaultDataFile();
  const outDir = path.resolve(values.out ?? path.join('test-results', 'eval'));

  let tasks = loadTasks(dataFile);
  if (values.language) tasks = filterLanguages(tasks, values.language.split(',').map((l) => l.trim()));
  if (values.limit) tasks = selectTasks(tasks, intOption(values.limit, 'limit', tasks.length));
  const testedTasks = tasks.filter((t) => t.tests).length;
  const sandbox = await detectSandbox();
  const pool = new Pool(intOption(values.jobs, 'jobs', 2));
  const engine = await startEngine(engineChoice(values));
  const info = runInfo(engine.init);
  console.log(`${tasks.length} tasks (${testedTasks} with tests) from ${dataFile}`);
  console.log(`model ${info.model.name} on ${info.device.provider}, ready in ${engine.spawnToReadyMs.toFixed(0)} ms; tests: ${sandbox.python}, network ${sandbox.network === 'namespace' ? 'cut off (unshare -n)' : 'blocked by proxy settings only'}`);

  const bar = new ProgressBar('eval', tasks.length);
  const scored: TaskRecord[] = [];
  const onProgress = (done: number, r: TaskRecord) => {
    scored.push(r);
    const s = scoreRecords(scored);
    const pass = s.pass1 === null ? '' : `pass@1 ${s.pass1.toFixed(3)} `;
    bar.update(done, `${pass}exact ${s.exactMatch.toFixed(3)} edit sim. ${s.editSimilarity.toFixed(3)}`);
  };
  const started = performance.now();
  let run: EvalRun | undefined;
  try {
    [run] = await runEval(engine.client, tasks, [config], { maxContextTokens: engine.init.model.maxContextTokens, pool, sandbox, onProgress });
  } finally {
    bar.finish();
    await engine.client.stop();
  }
  if (run === undefined) throw new Error('the eval returned no run for its one configuration');
  const wallMs = performance.now() - started;
  const { records, summary } = run;

  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'results.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const json = { run: info, data: dataFile, sandbox: { network: sandbox.network, timeoutMs: sandbox.timeoutMs }, spawnToReadyMs: engine.spawnToReadyMs, wallMs, summary };
  fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(json, null, 2) + '\n');
  const table = samplerTable([summary]);
  const languages = breakdownTable(summary, 'byLanguage');
  const holes = Object.keys(summary.byHole).length ? breakdownTable(summary, 'byHole') : '';
  const markdown = [
    `# Eval: ${path.basename(dataFile)}`,
    '',
    runInfoMarkdown(info),
    `- ${summary.tasks} tasks (${summary.tested} with tests) in ${(wallMs / 1000).toFixed(1)} s; step budget ${config.steps}; ${scoreDefinitions(sandbox.timeoutMs)}`,
    `- finish reasons: ${Object.entries(summary.finishReasons).map(([reason, n]) => `${reason} ${n}`).join(', ')}`,
    '',
    table,
    '',
    '## By language',
    '',
    languages,
    '',
    ...(holes ? ['## By hole', '', holes, ''] : []),
  ].join('\n');
  fs.writeFileSync(path.join(outDir, 'summary.md'), markdown);
  console.log(`\n${table}\n\n${languages}\n${holes ? `\n${holes}\n` : ''}\nfinish reasons: ${JSON.stringify(summary.finishReasons)}; wall ${(wallMs / 1000).toFixed(1)} s`);
  console.log(`wrote ${outDir}/{results.jsonl,summary.json,summary.md}`);
}

runMain(main);
