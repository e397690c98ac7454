/**
 * The converted-model half of `npm run bench:weights`: each model folder completes at a cursor in a
 * long file (its context window full) and in a short one through `node dist/complete.js --json`,
 * under /usr/bin/time -v, and one table row per model and file gives the denoise time per forward
 * pass, the first request's total, the peak resident memory and the folder's size. The same runs
 * dump the first pass's top-20 canvas logits (--dump-logits), and a second table gives each model's
 * drift from the first model named (fp32 is the one to name first): the largest difference over the
 * ids both top-20 lists hold, the positions whose top-1 agrees, and the mean top-20 overlap.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FirstPassDump } from '../../src/protocol/firstPass';

const ROOT = path.resolve(__dirname, '..', '..');

/** A file of ~30 KB (far more than a 1024-token window) with the cursor in its middle, and a short one. */
function inputs(dir: string): { label: string; target: string }[] {
  const longText = fs.readFileSync(path.join(ROOT, 'src', 'convert', 'convert.ts'), 'utf8').repeat(3);
  const lines = longText.split('\n');
  fs.writeFileSync(path.join(dir, 'long.ts'), longText);
  fs.writeFileSync(path.join(dir, 'short.py'), 'def add(a, b):\n    return \n\n\nprint(add(1, 2))\n');
  return [
    { label: 'long', target: `${path.join(dir, 'long.ts')}:${Math.floor(lines.length / 2)}:1` },
    { label: 'short', target: `${path.join(dir, 'short.py')}:2:12` },
  ];
}

interface Stats {
  promptTokens: number;
  forwardPasses: number;
  denoiseMs: number;
  totalMs: number;
}

function folderMiB(dir: string): number {
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0) / 2 ** 20;
}

export function modelRuns(models: string[], threads: number): void {
  if (!fs.existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is missing: apt-get install time');
  const built = spawnSync(process.execPath, [path.join(ROOT, 'build', 'fresh.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('building dist/ failed');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-bench-models-'));
  try {
    console.log(`\nConverted models, ${threads} threads, --max-tokens 32 --steps 4\n`);
    console.log('| model | file | prompt tokens | passes | ms per pass | request total ms | peak RSS MiB | folder MiB |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    const dumps = new Map<string, FirstPassDump>();
    for (const model of models) {
      for (const input of inputs(dir)) {
        const timeFile = path.join(dir, 'time.txt');
        const dumpFile = path.join(dir, 'dump.json');
        const args = ['-v', '-o', timeFile, process.execPath, path.join(ROOT, 'dist', 'complete.js'), input.target,
          '--model', path.resolve(model), '--max-tokens', '32', '--steps', '4', '--threads', String(threads), '--device', 'cpu', '--json', '--dump-logits', dumpFile];
        const run = spawnSync('/usr/bin/time', args, { encoding: 'utf8', maxBuffer: 1 << 26 });
        if (run.status !== 0) throw new Error(`complete failed on ${model}: ${run.stderr}`);
        const stats = (JSON.parse(run.stdout) as { stats: Stats }).stats;
        // ru_maxrss over the waited-for tree: the largest process, the engine child holding the model.
        const rssKiB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(fs.readFileSync(timeFile, 'utf8'))?.[1] ?? NaN);
        const perPass = stats.denoiseMs / Math.max(1, stats.forwardPasses);
        console.log(`| ${path.basename(model)} | ${input.label} | ${stats.promptTokens} | ${stats.forwardPasses} | ${perPass.toFixed(0)} | ${stats.totalMs.toFixed(0)} | ${(rssKiB / 1024).toFixed(0)} | ${folderMiB(model).toFixed(0)} |`);
        dumps.set(`${model}\n${input.label}`, JSON.parse(fs.readFileSync(dumpFile, 'utf8')) as FirstPassDump);
      }
    }
    driftTable(models, dumps);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Each model's first-pass canvas logits against the first model's, from their top-20 dumps. */
function driftTable(models: string[], dumps: Map<string, FirstPassDump>): void {
  const base = models[0]!;
  console.log(`\nFirst-pass canvas logits against ${path.basename(base)} (top-20 per position)\n`);
  console.log('| model | file | max abs diff (shared ids) | top-1 agreement | mean top-20 overlap |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const model of models.slice(1)) {
    for (const label of ['long', 'short']) {
      const a = dumps.get(`${base}\n${label}`)!;
      const b = dumps.get(`${model}\n${label}`)!;
      let maxDiff = 0;
      let top1 = 0;
      let overlap = 0;
      a.topk.forEach((row, j) => {
        const other = new Map(b.topk[j]);
        for (const [id, logit] of row) if (other.has(id)) maxDiff = Math.max(maxDiff, Math.abs(logit - other.get(id)!));
        if (row[0]![0] === b.topk[j]![0]![0]) top1++;
        overlap += row.filter(([id]) => other.has(id)).length / row.length;
      });
      const n = a.topk.length;
      console.log(`| ${path.basename(model)} | ${label} | ${maxDiff.toFixed(4)} | ${top1}/${n} | ${((100 * overlap) / n).toFixed(0)}% |`);
    }
  }
}
