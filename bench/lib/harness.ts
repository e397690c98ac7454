/**
 * The pass@1 harness: builds the HumanEval-infilling test program for a completion and runs it
 * with python3 in a separate process, in a fresh temporary folder, with a time limit, a memory
 * limit and no network (a private network namespace where `unshare -n` works; otherwise proxy
 * settings that point nowhere, which stops proxy-aware clients only).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { TestedTask } from './tasks';

const execFileAsync = promisify(execFile);

/** `prompt + completion + suffix + "\n" + test + "\ncheck(" + entry_point + ")"`, as the data's README states. */
export function buildProgram(task: TestedTask, completion: string): string {
  return `${task.prompt}${completion}${task.suffix}\n${task.tests.test}\ncheck(${task.tests.entry_point})`;
}

export type ProgramStatus = 'passed' | 'failed' | 'timeout';

export interface ProgramResult {
  status: ProgramStatus;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  /** The last part of stderr, for reading why a task failed. */
  stderrTail: string;
}

export interface Sandbox {
  /** The real interpreter (pyenv-style shims cost a shell start per run, so they are resolved once). */
  python: string;
  /** Command words put in front of the interpreter (`unshare -n`, `prlimit --as=…`). */
  wrapper: string[];
  network: 'namespace' | 'proxy-env';
  timeoutMs: number;
}

export interface SandboxOptions {
  /** Interpreter to resolve; default `python3` (or $DLLM_EVAL_PYTHON). */
  python?: string;
  timeoutMs?: number;
  /** Address-space limit of the test process; default 2 GiB. */
  memoryBytes?: number;
}

async function works(cmd: string, args: string[]): Promise<boolean> {
  try {
    await execFileAsync(cmd, args, { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** Finds the interpreter and which isolation this machine allows. */
export async function detectSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const pythonName = options.python ?? process.env.DLLM_EVAL_PYTHON ?? 'python3';
  let python: string;
  try {
    const { stdout } = await execFileAsync(pythonName, ['-c', 'import sys; print(sys.executable)'], { timeout: 10000 });
    python = stdout.trim() || pythonName;
  } catch (err) {
    throw new Error(`cannot run ${pythonName}: ${(err as Error).message}`);
  }
  const wrapper: string[] = [];
  const network = (await works('unshare', ['-n', 'true'])) ? 'namespace' : 'proxy-env';
  if (network === 'namespace') wrapper.push('unshare', '-n');
  const memoryBytes = options.memoryBytes ?? 2 * 1024 ** 3;
  if (await works('prlimit', [`--as=${memoryBytes}`, 'true'])) wrapper.push('prlimit', `--as=${memoryBytes}`);
  return { python, wrapper, network, timeoutMs: options.timeoutMs ?? 3000 };
}

function childEnv(home: string, network: Sandbox['network']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONHASHSEED: '0',
  };
  if (network === 'proxy-env') {
    // Port 9 (discard) on loopback: proxy-aware clients fail fast instead of reaching out.
    const nowhere = 'http://127.0.0.1:9';
    Object.assign(env, { http_proxy: nowhere, https_proxy: nowhere, HTTP_PROXY: nowhere, HTTPS_PROXY: nowhere, ALL_PROXY: nowhere, no_proxy: '' });
  }
  return env;
}

const stderrLimit = 2000;

/** Runs one program; never rejects for a failing program, only for an unusable sandbox. */
export async function runProgram(source: string, sandbox: Sandbox): Promise<ProgramResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dllm-eval-'));
  try {
    const file = path.join(dir, 'program.py');
    await fs.writeFile(file, source, 'utf8');
    const [cmd, ...args] = [...sandbox.wrapper, sandbox.python, '-I', file];
    const started = performance.now();
    // A process group of its own, so the time limit kills whatever the program started too.
    const child = spawn(cmd, args, { cwd: dir, env: childEnv(dir, sandbox.network), detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    return await waitForExit(child, sandbox.timeoutMs, started);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number, started: number): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    let timedOut = false;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-stderrLimit);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL'); // the group is already gone; make sure the leader is too
        }
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      const status: ProgramStatus = timedOut ? 'timeout' : exitCode === 0 ? 'passed' : 'failed';
      resolve({ status, exitCode, signal, ms: performance.now() - started, stderrTail: stderr });
    });
  });
}

/** Runs at most `size` jobs at once; the rest wait in order. */
export class Pool {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {
    if (!(size >= 1)) throw new RangeError(`pool size must be at least 1, got ${size}`);
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    // A finishing job hands its slot straight to the next waiter, so no newcomer can slip in between.
    if (this.running >= this.size) await new Promise<void>((wake) => this.waiting.push(wake));
    else this.running++;
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
