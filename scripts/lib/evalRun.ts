/**
 * Runs HumanEval-infilling tasks through the real child process and scores them: the next
 * request goes out while earlier completions are still being tested in the pool.
 */
import type { EngineClient } from '../../src/client/types';
import type { FinishReason, InfillRequest, SamplerOptions } from '../../src/protocol/protocol';
import { buildProgram, exactMatch, runProgram, type Pool, type ProgramStatus, type Sandbox } from './harness';
import { mean, rate, summarize, type Summary } from './stats';
import type { InfillTask } from './tasks';

export interface EvalConfig {
  sampler: SamplerOptions;
  /** Canvas length (maxTokens). */
  canvas: number;
  /** Step budget (forward passes at most). */
  steps: number;
}

/** A short name for tables and plots, e.g. `lowConfidence S=8`, `saber remask=onDrop`. */
export function configLabel(config: EvalConfig): string {
  const s = config.sampler;
  const parts: string[] = [s.kind];
  if (s.kind === 'saber' && s.remask && s.remask !== 'always') parts.push(`remask=${s.remask}`);
  if (s.kind === 'threshold') parts.push(String(s.threshold ?? 0.9));
  if (s.kind === 'lowConfidence' || config.steps !== config.canvas) parts.push(`S=${config.steps}`);
  return parts.join(' ');
}

export interface TaskRecord {
  task_id: string;
  config: string;
  completion: string;
  finishReason: FinishReason | 'error';
  /** Test outcome; `error` when the request itself failed. */
  status: ProgramStatus | 'error';
  passed: boolean;
  exactMatch: boolean;
  forwardPasses: number;
  tokens: number;
  tokensPerForward: number;
  remasked: number;
  promptTokens: number;
  encodeMs: number;
  denoiseMs: number;
  /** Server-side time of the infill. */
  serverMs: number;
  /** Round trip through the JSON-RPC channel, measured by the caller. */
  latencyMs: number;
  testMs: number;
  /** The request's error or the tail of the test's stderr, for reading failures. */
  detail?: string;
}

export interface EvalSummary {
  config: string;
  sampler: SamplerOptions;
  canvas: number;
  steps: number;
  tasks: number;
  pass1: number;
  /** Passing tasks whose middle was blank: the tests do not need the hole's line. */
  passedBlank: number;
  exactMatch: number;
  timeouts: number;
  errors: number;
  forwardPasses: Summary;
  tokensPerForward: number;
  tokens: number;
  latencyMs: Summary;
  serverMs: Summary;
  encodeMs: Summary;
  denoiseMs: Summary;
  finishReasons: Record<string, number>;
}

export interface EvalHooks {
  pool: Pool;
  sandbox: Sandbox;
  /** Called after each request is scored, with the count so far and how many passed. */
  onProgress?: (done: number, passed: number) => void;
}

export function infillParams(task: InfillTask, config: EvalConfig): InfillRequest.Params {
  return {
    prefix: task.prompt,
    suffix: task.suffix,
    language: 'python',
    maxTokens: config.canvas,
    stepBudget: config.steps,
    sampler: config.sampler,
    mode: 'command',
  };
}

const detailLimit = 400;

export interface EvalRun {
  config: EvalConfig;
  records: TaskRecord[];
  summary: EvalSummary;
}

/**
 * Runs every configuration on every task, task by task (all configurations of one task back to
 * back), so that a slower or busier stretch of the run weighs on every configuration alike.
 */
export async function runEval(client: EngineClient, tasks: readonly InfillTask[], configs: readonly EvalConfig[], hooks: EvalHooks): Promise<EvalRun[]> {
  const scored: Promise<TaskRecord>[][] = configs.map(() => []);
  let done = 0;
  let passed = 0;
  const finish = (record: TaskRecord) => {
    if (record.passed) passed++;
    hooks.onProgress?.(++done, passed);
    return record;
  };
  for (const task of tasks) {
    for (const [c, config] of configs.entries()) {
      const label = configLabel(config);
      const started = performance.now();
      let result: InfillRequest.Result;
      try {
        result = await client.infill(infillParams(task, config));
      } catch (err) {
        // A dead child would fail every later task the same way: stop the run and say so.
        if (!client.running) throw err;
        scored[c].push(Promise.resolve(finish(errorRecord(task, label, (err as Error).message, performance.now() - started))));
        continue;
      }
      const latencyMs = performance.now() - started;
      scored[c].push(
        hooks.pool.run(async () => {
          const test = await runProgram(buildProgram(task, result.text), hooks.sandbox);
          return finish(taskRecord(task, label, result, latencyMs, test.status, test.ms, test.stderrTail));
        }),
      );
    }
  }
  return Promise.all(
    configs.map(async (config, c) => {
      const records = await Promise.all(scored[c]);
      return { config, records, summary: summarizeRecords(records, config) };
    }),
  );
}

function taskRecord(task: InfillTask, label: string, result: InfillRequest.Result, latencyMs: number, status: ProgramStatus, testMs: number, stderrTail: string): TaskRecord {
  const s = result.stats;
  return {
    task_id: task.task_id,
    config: label,
    completion: result.text,
    finishReason: result.finishReason,
    status,
    passed: status === 'passed',
    exactMatch: exactMatch(result.text, task.canonical_solution),
    forwardPasses: s.forwardPasses,
    tokens: s.tokens,
    tokensPerForward: s.tokensPerForward,
    remasked: s.remasked,
    promptTokens: s.promptTokens,
    encodeMs: s.encodeMs,
    denoiseMs: s.denoiseMs,
    serverMs: s.totalMs,
    latencyMs,
    testMs,
    detail: status === 'passed' ? undefined : stderrTail.slice(-detailLimit) || undefined,
  };
}

function errorRecord(task: InfillTask, label: string, message: string, latencyMs: number): TaskRecord {
  return {
    task_id: task.task_id,
    config: label,
    completion: '',
    finishReason: 'error',
    status: 'error',
    passed: false,
    exactMatch: false,
    forwardPasses: 0,
    tokens: 0,
    tokensPerForward: 0,
    remasked: 0,
    promptTokens: 0,
    encodeMs: 0,
    denoiseMs: 0,
    serverMs: 0,
    latencyMs,
    testMs: 0,
    detail: message.slice(0, detailLimit),
  };
}

/** Figures over the tasks whose request succeeded; errors count as failures in pass@1 and exact match. */
export function summarizeRecords(records: readonly TaskRecord[], config: EvalConfig): EvalSummary {
  const ok = records.filter((r) => r.status !== 'error');
  const finishReasons: Record<string, number> = {};
  for (const r of records) finishReasons[r.finishReason] = (finishReasons[r.finishReason] ?? 0) + 1;
  return {
    config: configLabel(config),
    sampler: config.sampler,
    canvas: config.canvas,
    steps: config.steps,
    tasks: records.length,
    pass1: rate(records.map((r) => r.passed)),
    passedBlank: records.filter((r) => r.passed && r.completion.trim() === '').length,
    exactMatch: rate(records.map((r) => r.exactMatch)),
    timeouts: records.filter((r) => r.status === 'timeout').length,
    errors: records.length - ok.length,
    forwardPasses: summarize(ok.map((r) => r.forwardPasses)),
    tokensPerForward: mean(ok.map((r) => r.tokensPerForward)),
    tokens: mean(ok.map((r) => r.tokens)),
    latencyMs: summarize(ok.map((r) => r.latencyMs)),
    serverMs: summarize(ok.map((r) => r.serverMs)),
    encodeMs: summarize(ok.map((r) => r.encodeMs)),
    denoiseMs: summarize(ok.map((r) => r.denoiseMs)),
    finishReasons,
  };
}
