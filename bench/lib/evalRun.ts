/**
 * Runs infill tasks through the real child process and scores them: exact match and edit
 * similarity against the reference for every task, pass@1 where the task has tests. The next
 * request goes out while earlier completions are still being tested in the pool.
 */
import type { EngineClient } from '../../src/client/types';
import { infillRequest, modelWindow } from '../../src/completion/infillRequest';
import { toLf } from '../../src/protocol/text';
import type { FinishReason, InfillRequest, SamplerOptions } from '../../src/protocol/protocol';
import { buildProgram, runProgram, type Pool, type ProgramStatus, type Sandbox } from './harness';
import { editSimilarity, exactMatch } from './scores';
import { mean, rate, summarize, type Summary } from './stats';
import { isTested, type InfillTask } from './tasks';

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

/** The test's outcome; `untested` for a task without tests, `error` when the request itself failed. */
export type TaskStatus = ProgramStatus | 'untested' | 'error';

export interface TaskRecord {
  task_id: string;
  language: string;
  hole?: string;
  config: string;
  completion: string;
  finishReason: FinishReason | 'error';
  status: TaskStatus;
  /** The task has tests (pass@1 counts it). */
  tested: boolean;
  passed: boolean;
  exactMatch: boolean;
  editSimilarity: number;
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

/** Quality figures over a set of tasks. Failed requests count as misses (similarity 0). */
export interface ScoreSummary {
  tasks: number;
  /** Tasks with tests; pass@1 is over these only. */
  tested: number;
  /** null when no task has tests. */
  pass1: number | null;
  /** Passing tasks whose middle was blank: the tests do not need the hole's line. */
  passedBlank: number;
  exactMatch: number;
  /** Mean edit similarity. */
  editSimilarity: number;
}

export interface EvalSummary extends ScoreSummary {
  config: string;
  sampler: SamplerOptions;
  canvas: number;
  steps: number;
  /** The same figures per language, and per hole shape where the tasks name one. */
  byLanguage: Record<string, ScoreSummary>;
  byHole: Record<string, ScoreSummary>;
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
  /** The model's context length (initialize's result): each request is cut to it. */
  maxContextTokens: number;
  pool: Pool;
  sandbox: Sandbox;
  /** Called after each request is scored, with the count so far. */
  onProgress?: (done: number, record: TaskRecord) => void;
}

/**
 * The request a command infill of the extension would send: the task's text cut to what a model
 * of `maxContextTokens` reads, the task's language.
 */
export function infillParams(task: InfillTask, config: EvalConfig, maxContextTokens: number): InfillRequest.Params {
  const window = modelWindow(toLf(task.prompt), toLf(task.suffix), maxContextTokens);
  return infillRequest({ window, language: task.language, budget: { maxTokens: config.canvas, stepBudget: config.steps, sampler: config.sampler }, mode: 'command' });
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
  // One list of records per configuration, in the order of `configs`.
  const scored = configs.map((config) => ({ config, label: configLabel(config), records: [] as Promise<TaskRecord>[] }));
  let done = 0;
  const finish = (record: TaskRecord) => {
    hooks.onProgress?.(++done, record);
    return record;
  };
  for (const task of tasks) {
    for (const { config, label, records } of scored) {
      const started = performance.now();
      let result: InfillRequest.Result;
      try {
        result = await client.infill(infillParams(task, config, hooks.maxContextTokens));
      } catch (err) {
        // A dead child would fail every later task the same way: stop the run and say so.
        if (!client.running) throw err;
        records.push(Promise.resolve(finish(errorRecord(task, label, (err as Error).message, performance.now() - started))));
        continue;
      }
      const latencyMs = performance.now() - started;
      if (!isTested(task)) {
        records.push(Promise.resolve(finish(taskRecord(task, label, result, latencyMs, { status: 'untested', ms: 0, stderrTail: '' }))));
        continue;
      }
      records.push(
        hooks.pool.run(async () => finish(taskRecord(task, label, result, latencyMs, await runProgram(buildProgram(task, result.text), hooks.sandbox)))),
      );
    }
  }
  return Promise.all(
    scored.map(async ({ config, records }) => {
      const settled = await Promise.all(records);
      return { config, records: settled, summary: summarizeRecords(settled, config) };
    }),
  );
}

/** What every record says of its task, whatever the answer was. */
function taskFields(task: InfillTask, label: string) {
  return {
    task_id: task.task_id,
    language: task.language,
    ...(task.hole === undefined ? {} : { hole: task.hole }),
    config: label,
    tested: isTested(task),
  };
}

function taskRecord(task: InfillTask, label: string, result: InfillRequest.Result, latencyMs: number, test: { status: TaskStatus; ms: number; stderrTail: string }): TaskRecord {
  const s = result.stats;
  const { status } = test;
  return {
    ...taskFields(task, label),
    completion: result.text,
    finishReason: result.finishReason,
    status,
    passed: status === 'passed',
    exactMatch: exactMatch(result.text, task.canonical_solution),
    editSimilarity: editSimilarity(result.text, task.canonical_solution),
    forwardPasses: s.forwardPasses,
    tokens: s.tokens,
    tokensPerForward: s.tokensPerForward,
    remasked: s.remasked,
    promptTokens: s.promptTokens,
    encodeMs: s.encodeMs,
    denoiseMs: s.denoiseMs,
    serverMs: s.totalMs,
    latencyMs,
    testMs: test.ms,
    detail: status === 'passed' ? undefined : test.stderrTail.slice(-detailLimit) || undefined,
  };
}

function errorRecord(task: InfillTask, label: string, message: string, latencyMs: number): TaskRecord {
  return {
    ...taskFields(task, label),
    completion: '',
    finishReason: 'error',
    status: 'error',
    passed: false,
    exactMatch: false,
    editSimilarity: 0,
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

/** Quality over `records`; a failed request counts as a miss (and as a failure where the task has tests). */
export function scoreRecords(records: readonly TaskRecord[]): ScoreSummary {
  const tested = records.filter((r) => r.tested);
  return {
    tasks: records.length,
    tested: tested.length,
    pass1: tested.length ? rate(tested.map((r) => r.passed)) : null,
    passedBlank: records.filter((r) => r.passed && r.completion.trim() === '').length,
    exactMatch: rate(records.map((r) => r.exactMatch)),
    editSimilarity: mean(records.map((r) => r.editSimilarity)),
  };
}

function scoreGroups(records: readonly TaskRecord[], key: (r: TaskRecord) => string | undefined): Record<string, ScoreSummary> {
  const groups = new Map<string, TaskRecord[]>();
  for (const r of records) {
    const k = key(r);
    if (k === undefined) continue;
    const group = groups.get(k);
    if (group) group.push(r);
    else groups.set(k, [r]);
  }
  return Object.fromEntries([...groups.keys()].sort().map((k) => [k, scoreRecords(groups.get(k)!)]));
}

/** Figures over the tasks whose request succeeded; errors count as misses in the scores. */
export function summarizeRecords(records: readonly TaskRecord[], config: EvalConfig): EvalSummary {
  const ok = records.filter((r) => r.status !== 'error');
  const finishReasons: Record<string, number> = {};
  for (const r of records) finishReasons[r.finishReason] = (finishReasons[r.finishReason] ?? 0) + 1;
  return {
    config: configLabel(config),
    sampler: config.sampler,
    canvas: config.canvas,
    steps: config.steps,
    ...scoreRecords(records),
    byLanguage: scoreGroups(records, (r) => r.language),
    byHole: scoreGroups(records, (r) => r.hole),
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
