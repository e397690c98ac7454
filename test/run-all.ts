/**
 * `npm test`: runs every layer (test/runner/layers.ts) through its own npm script, streaming its
 * output as it comes, then prints a table of each layer's counts and one closing line
 * `N passed, N failed[, N skipped]` over all of them; exits non-zero when anything failed.
 *
 * Usage: npm test [-- [--bail] [LAYER…]]
 *   LAYER    run only these layers (lint typecheck unit integration model-pipeline package vscode-server)
 *   --bail   stop after the first layer that fails (by default every layer runs: each builds what
 *            it needs itself, so a failure in one does not make the next ones meaningless)
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { closingLine, selectLayers, sum, summaryTable, tallyOf, type Layer, type LayerResult } from './runner/layers';

const repoRoot = path.resolve(__dirname, '..');

/** Runs one layer's npm script, passing its output through and keeping a copy to count. */
function runLayer(layer: Layer): Promise<{ output: string; exitCode: number }> {
  return new Promise((resolve) => {
    // Piped output is not a terminal: keep the colours the layers would show in one.
    const colour = process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: '1' } : {};
    const child = spawn('npm', ['run', '-s', layer.script], {
      cwd: repoRoot,
      env: { ...process.env, ...colour },
      stdio: ['inherit', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on('error', (error) => {
      output += `\n${error.message}\n`;
      process.stderr.write(`${error.message}\n`);
    });
    child.on('close', (code) => resolve({ output, exitCode: code ?? 1 }));
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const bail = args.includes('--bail');
  let selected: Layer[];
  try {
    selected = selectLayers(args.filter((a) => a !== '--bail'));
  } catch (error) {
    console.error(`run-all: ${(error as Error).message}`);
    return 2;
  }
  // Ctrl-C reaches the running layer too; no layer starts after it.
  let interrupted = false;
  process.on('SIGINT', () => {
    interrupted = true;
  });

  const results: LayerResult[] = selected.map((layer) => ({ layer }));
  for (const result of results) {
    if (interrupted || (bail && sum(results).failed > 0)) break;
    console.log(`\n━━ ${result.layer.name} (npm run ${result.layer.script}) ━━`);
    const started = Date.now();
    const { output, exitCode } = await runLayer(result.layer);
    result.seconds = (Date.now() - started) / 1000;
    result.exitCode = exitCode;
    result.tally = tallyOf(result.layer.counter, output, exitCode);
  }

  console.log('\n━━ summary ━━');
  for (const line of summaryTable(results)) console.log(line);
  const total = sum(results);
  console.log(closingLine(total));
  return total.failed > 0 || interrupted || results.some((r) => !r.tally) ? 1 : 0;
}

void main().then((code) => {
  process.exitCode = code;
});
