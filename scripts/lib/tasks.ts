/**
 * HumanEval-infilling tasks: loading (.jsonl or .jsonl.gz) and where the data lives by default.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export interface InfillTask {
  task_id: string;
  entry_point: string;
  /** Code before the hole. */
  prompt: string;
  /** Code after the hole. */
  suffix: string;
  /** The reference middle. */
  canonical_solution: string;
  /** Defines `check(candidate)`. */
  test: string;
}

const requiredFields = ['task_id', 'entry_point', 'prompt', 'suffix', 'canonical_solution', 'test'] as const;

/** The repository root (this file is scripts/lib/tasks.ts). */
export const repoRoot = path.resolve(__dirname, '..', '..');

/** Environment variable naming the default data file, for checkouts not placed next to `shared/`. */
export const dataEnvVar = 'DLLM_EVAL_DATA';

/** The checkout sits next to `shared/`; the single-line split is the default. */
export function defaultDataFile(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[dataEnvVar];
  if (fromEnv) return path.resolve(fromEnv);
  return path.resolve(repoRoot, '..', 'shared', 'eval', 'humaneval-infilling', 'SingleLine.jsonl.gz');
}

/** Parses JSON lines into tasks; blank lines are skipped, a malformed line names its number. */
export function parseTasks(text: string, source = '<text>'): InfillTask[] {
  const tasks: InfillTask[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new Error(`${source}:${i + 1}: not JSON (${(err as Error).message})`);
    }
    tasks.push(checkTask(value, `${source}:${i + 1}`));
  }
  return tasks;
}

function checkTask(value: unknown, where: string): InfillTask {
  if (typeof value !== 'object' || value === null) throw new Error(`${where}: expected an object`);
  const record = value as Record<string, unknown>;
  for (const field of requiredFields) {
    if (typeof record[field] !== 'string') throw new Error(`${where}: field "${field}" missing or not a string`);
  }
  const task = {} as Record<(typeof requiredFields)[number], string>;
  for (const field of requiredFields) task[field] = record[field] as string;
  return task;
}

/** Reads a task file; gzip is recognised by its magic bytes, not only by the name. */
export function loadTasks(file: string): InfillTask[] {
  const raw = fs.readFileSync(file);
  const isGzip = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  const text = (isGzip ? zlib.gunzipSync(raw) : raw).toString('utf8');
  return parseTasks(text, file);
}
