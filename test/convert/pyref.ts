/**
 * The Python side of the converter's parity test (test/reference/): its pinned environment, the
 * tiny published-format checkpoints it writes and the fp32 reference logits it computes. Each call
 * runs one script in .cache/pyref and fails with the script's own stderr.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const repoRoot = path.resolve(__dirname, '../..');
const referenceDir = path.join(repoRoot, 'test/reference');

export type CheckpointKind = 'dream' | 'dream-qwen2' | 'llada' | 'sdar' | 'fast-dllm-v2';

/** What reference.py writes: every canvas row as the sampler reads it (after Dream's or Fast-dLLM v2's shift). */
export interface ReferenceRows {
  family: 'dream' | 'llada' | 'sdar' | 'fast-dllm-v2';
  shifted: boolean;
  vocab: number;
  /** All logits of every position of the sequence. */
  rows: Record<string, number[]>;
  /** Per canvas position, the full logits row the sampler sees. */
  canvas: number[][];
}

function run(file: string, args: string[], options: { timeout?: number } = {}): string {
  try {
    return execFileSync(file, args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeout ?? 600_000 });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${path.basename(file)} ${args.join(' ')} failed:\n${e.stderr || e.message}`);
  }
}

let python: string | undefined;

/** The environment's python, creating .cache/pyref on first use (about 45 s; instant later). */
export function pyrefPython(): string {
  if (!python) {
    // setup.sh prints the python's path last.
    python = run('bash', [path.join(referenceDir, 'setup.sh')]).trim().split('\n').pop();
    if (!python) throw new Error('test/reference/setup.sh printed no python path');
  }
  return python;
}

function script(name: string, args: string[]): string {
  return run(pyrefPython(), [path.join(referenceDir, name), ...args]);
}

export function makeCheckpoint(kind: CheckpointKind, out: string, seed = 0, dims: 'tiny' | '0.5b' = 'tiny'): void {
  script('make_checkpoint.py', ['--family', kind, '--out', out, '--seed', String(seed), '--dims', dims]);
}

/** Adds `delta` to one element of one checkpoint tensor, in place. */
export function corruptTensor(checkpoint: string, tensor: string, delta = 0.5): void {
  script('corrupt.py', [checkpoint, tensor, String(delta)]);
}

/** The reference's canvas rows for exactly the sequence a --dump-logits file holds. */
export function referenceFor(checkpoint: string, dumpFile: string, workDir: string): ReferenceRows {
  const out = path.join(workDir, `reference-${path.basename(dumpFile)}`);
  script('reference.py', [checkpoint, '--ids-file', dumpFile, '--out', out]);
  return JSON.parse(fs.readFileSync(out, 'utf8')) as ReferenceRows;
}
