/**
 * Infill tasks: the file format `npm run eval` and `npm run bench` read, loading (.jsonl or
 * .jsonl.gz), even selection, and where the data lives by default.
 *
 * One JSON object a line. Required: `task_id`, `prompt` (the text before the hole), `suffix` (the
 * text after it), `canonical_solution` (the reference middle). Optional: `language` (a VS Code
 * language id, default `python`), `test` + `entry_point` (a Python program defining
 * `check(candidate)`, as in HumanEval; run for pass@1 where present), `hole` (a label for the
 * hole's shape, reported as a breakdown). Other fields are ignored.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export interface InfillTask {
  task_id: string;
  /** VS Code language id of the text. */
  language: string;
  /** Text before the hole. */
  prompt: string;
  /** Text after the hole. */
  suffix: string;
  /** The reference middle. */
  canonical_solution: string;
  /** Tests to run for pass@1; absent where the task has none. */
  tests?: TaskTests;
  /** The hole's shape (`lineRest`, `line`, `lines`, `body`…), where the data says. */
  hole?: string;
}

export interface TaskTests {
  /** Python source defining `check(candidate)`. */
  test: string;
  /** The name `check` is called on. */
  entry_point: string;
}

export type TestedTask = InfillTask & { tests: TaskTests };

export function isTested(task: InfillTask): task is TestedTask {
  return task.tests !== undefined;
}

export const defaultLanguage = 'python';

const requiredFields = ['task_id', 'prompt', 'suffix', 'canonical_solution'] as const;
const languageId = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

/** The repository root (this file is bench/lib/tasks.ts). */
export const repoRoot = path.resolve(__dirname, '..', '..');

/** Environment variable naming another folder of the HumanEval-infilling files (the Python pipeline reads it too). */
export const evalDirEnvVar = 'DLLM_EVAL_DIR';

/** The development split committed with the repository (eval/humaneval-infilling/README.md). */
export const repoEvalDir = path.join(repoRoot, 'eval', 'humaneval-infilling');

/** The HumanEval-infilling folder: `DLLM_EVAL_DIR` when set, else the repository's own copy. */
export function evalDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[evalDirEnvVar];
  return fromEnv ? path.resolve(fromEnv) : repoEvalDir;
}

/** The single-line split is the default task file. */
export function defaultDataFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(evalDir(env), 'SingleLine.jsonl.gz');
}

/** The real-code benchmark committed with the repository (bench/realcode). */
export const realCodeDataFile = path.join(repoRoot, 'bench', 'realcode', 'tasks.jsonl.gz');

/** Parses JSON lines into tasks; blank lines are skipped, a malformed line names its number. */
export function parseTasks(text: string, source = '<text>'): InfillTask[] {
  const tasks: InfillTask[] = [];
  const ids = new Set<string>();
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new Error(`${source}:${i + 1}: not JSON (${(err as Error).message})`);
    }
    const task = checkTask(value, `${source}:${i + 1}`);
    // Results are keyed by id, so a repeated id would silently merge two tasks.
    if (ids.has(task.task_id)) throw new Error(`${source}:${i + 1}: task_id "${task.task_id}" appears twice`);
    ids.add(task.task_id);
    tasks.push(task);
  }
  return tasks;
}

function optionalString(record: Record<string, unknown>, field: string, where: string): string | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`${where}: field "${field}" must be a string`);
  return value;
}

function checkTask(value: unknown, where: string): InfillTask {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: expected an object`);
  const record = value as Record<string, unknown>;
  for (const field of requiredFields) {
    if (typeof record[field] !== 'string') throw new Error(`${where}: field "${field}" missing or not a string`);
  }
  const language = optionalString(record, 'language', where) ?? defaultLanguage;
  if (!languageId.test(language)) throw new Error(`${where}: field "language" must be a VS Code language id such as "typescript"`);
  const task: InfillTask = {
    task_id: record.task_id as string,
    language,
    prompt: record.prompt as string,
    suffix: record.suffix as string,
    canonical_solution: record.canonical_solution as string,
  };
  const test = optionalString(record, 'test', where);
  const entryPoint = optionalString(record, 'entry_point', where);
  if ((test === undefined) !== (entryPoint === undefined)) {
    throw new Error(`${where}: "test" and "entry_point" go together; this task has only "${test === undefined ? 'entry_point' : 'test'}"`);
  }
  if (test !== undefined && entryPoint !== undefined) {
    if (language !== 'python') throw new Error(`${where}: tests run with python3, but the task's language is "${language}"`);
    task.tests = { test, entry_point: entryPoint };
  }
  const hole = optionalString(record, 'hole', where);
  if (hole !== undefined) task.hole = hole;
  return task;
}

/** Reads a task file; gzip is recognised by its magic bytes, not only by the name. */
export function loadTasks(file: string): InfillTask[] {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read the task file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const isGzip = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  let text: string;
  try {
    text = (isGzip ? zlib.gunzipSync(raw) : raw).toString('utf8');
  } catch (err) {
    throw new Error(`${file}: not a readable gzip file (${(err as Error).message})`);
  }
  const tasks = parseTasks(text, file);
  if (tasks.length === 0) throw new Error(`${file}: no tasks`);
  return tasks;
}

/**
 * `count` of `length` indices, evenly spaced from the first to the last, as NumPy's
 * `linspace(0, length - 1, count).round()` gives them (halves to even), so the training
 * pipeline's evaluator and this one pick the same tasks.
 */
export function evenlySpaced(length: number, count: number): number[] {
  if (count >= length) return Array.from({ length }, (_, i) => i);
  if (count <= 0) return [];
  if (count === 1) return [0];
  const step = (length - 1) / (count - 1);
  const indices = Array.from({ length: count }, (_, k) => roundHalfEven(k * step));
  indices[count - 1] = length - 1;
  return indices;
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** At most `perLanguage` tasks of each language, evenly spaced through that language's tasks, in file order. */
export function selectTasks(tasks: readonly InfillTask[], perLanguage: number): InfillTask[] {
  const byLanguage = new Map<string, number[]>();
  tasks.forEach((t, i) => {
    const list = byLanguage.get(t.language) ?? [];
    list.push(i);
    byLanguage.set(t.language, list);
  });
  const keep = new Set<number>();
  for (const indices of byLanguage.values()) for (const k of evenlySpaced(indices.length, perLanguage)) keep.add(indices[k]!);
  return tasks.filter((_, i) => keep.has(i));
}

/** Tasks of the given languages only; an unknown language is an error that lists the ones there are. */
export function filterLanguages(tasks: readonly InfillTask[], languages: readonly string[]): InfillTask[] {
  const present = new Set(tasks.map((t) => t.language));
  const missing = languages.filter((l) => !present.has(l));
  if (missing.length) throw new Error(`no tasks in ${missing.join(', ')}; the data has ${[...present].sort().join(', ')}`);
  return tasks.filter((t) => languages.includes(t.language));
}
