/**
 * The product's side of the converter's parity test: the converter's entry point (src/convert/convert.ts,
 * what its command line and the extension call) and the first denoising pass of the real command
 * line, `npm run complete -- --dump-logits`, so the model is run as a user runs it.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { convert as convertCheckpoint } from '../../src/convert/convert';
import type { FirstPassDump } from '../../src/protocol/firstPass';
import { repoRoot } from './pyref';

export type Storage = 'fp32' | 'fp16';

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${e.stderr || ''}${e.stdout || ''}${e.message}`);
  }
}

/** Converts a Hugging Face checkpoint folder into a model folder, its matrices stored as `storage`. */
export async function convert(from: string, to: string, options: { family?: string; storage: Storage }): Promise<void> {
  await convertCheckpoint(from, { to, weights: options.storage, ...(options.family ? { family: options.family } : {}) });
}

/**
 * The first pass at FILE:LINE:COL with the given model: one step, greedy, on the CPU, so the dump
 * depends on nothing but the model and the text. build/fresh.mjs rebuilds dist/ when a source is newer.
 */
export function dumpFirstPass(model: string, target: string, out: string, canvas = 8): FirstPassDump {
  run('node', [path.join(repoRoot, 'build/fresh.mjs'), 'complete', target, '--model', model, '--dump-logits', out,
    '--device', 'cpu', '--threads', '1', '--steps', '1', '--max-tokens', String(canvas), '--temperature', '0', '--json']);
  return JSON.parse(fs.readFileSync(out, 'utf8')) as FirstPassDump;
}
