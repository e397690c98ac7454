/**
 * `npm run bench:cached`: the cached mode of converted models (models/README.md, "Cached mode")
 * against their exact mode. One denoising run is driven by the exact mode (each pass commits the
 * most confident masked positions, as the low-confidence sampler does), and the cached mode is fed
 * the same canvases at each refresh interval k; per k it prints the canvas logits' largest
 * difference from the exact ones, the top-1 agreement at the positions still masked, and the mean
 * time per pass. Models: tiny random Dream and LLaDA checkpoints converted here (their drift says
 * little about trained weights), and any --model folders (converted models). With --reference, a
 * second folder of the same model (say its int8 conversion) runs exact mode on the same canvases
 * and is compared with the first's exact logits the same way. The context is random ordinary tokens,
 * or with --text a file's tokens around a hole the canvas fills. Not a test.
 *
 *   npm run bench:cached [-- --model DIR --reference DIR --text FILE --context 1024 --canvas 32 --passes 8 --every 1,2,4,8 --threads 2]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint } from '../src/convert/convert';
import { intOption, runMain } from '../src/cli/options';
import { loadParts } from '../src/engine/model/load';
import type { CanvasModel, SequenceLayout } from '../src/engine/runners/model';
import { mulberry32 } from '../src/engine/sampler/random';
import { DREAM_SPEC, LLADA_SPEC, memoryCheckpoint } from '../test/unit/convert/tinyCheckpoint';
import { fmt, markdownTable, pct } from './lib/markdown';
import { repoRoot } from './lib/tasks';

const usage = `npm run bench:cached -- [options]
  --model DIR     a converted model folder (repeatable; default: tiny random Dream and LLaDA models)
  --reference DIR another folder of the same model (e.g. int8): its exact-mode logits on the same
                  canvases against the --model's exact ones
  --text FILE     context from this file's tokens (the canvas stands for the tokens after the prefix);
                  default random ordinary tokens
  --context N     context tokens, 3/4 before the canvas (default 1024)
  --canvas N      canvas length (default 32)
  --passes N      denoising passes (default 8)
  --every A,B     refresh intervals (default 1,2,4,8)
  --threads N     CPU threads (default 2)`;

interface Run {
  logits: Float32Array[];
  msPerPass: number;
}

/** The canvas logits of each of `canvases` (one per pass) and the mean time per pass. */
async function run(model: CanvasModel, layout: SequenceLayout, canvases: Int32Array[]): Promise<Run> {
  await warmUp(model, layout, canvases[0]!);
  const pass = await model.begin(layout);
  const logits: Float32Array[] = [];
  const started = performance.now();
  for (const canvas of canvases) logits.push(await pass.forward(canvas));
  const msPerPass = (performance.now() - started) / canvases.length;
  pass.release();
  return { logits, msPerPass };
}

/** One untimed pass: the first run of a session allocates and plans. */
async function warmUp(model: CanvasModel, layout: SequenceLayout, canvas: Int32Array): Promise<void> {
  const pass = await model.begin(layout);
  await pass.forward(canvas);
  pass.release();
}

/** Argmax of each canvas row. */
function top1(logits: Float32Array, n: number, v: number): number[] {
  return Array.from({ length: n }, (_, j) => {
    let best = 0;
    for (let t = 1; t < v; t++) if (logits[j * v + t]! > logits[j * v + best]!) best = t;
    return best;
  });
}

/** Drives the exact mode: each pass commits ceil(n / passes) masked positions with the highest top logit. */
async function exactRun(model: CanvasModel, layout: SequenceLayout, mask: number, passes: number): Promise<{ canvases: Int32Array[]; run: Run }> {
  const n = layout.canvasLength;
  const v = model.vocabSize;
  const canvas = new Int32Array(n).fill(mask);
  await warmUp(model, layout, canvas);
  const pass = await model.begin(layout);
  const canvases: Int32Array[] = [];
  const logits: Float32Array[] = [];
  const started = performance.now();
  for (let p = 0; p < passes; p++) {
    canvases.push(canvas.slice());
    const out = await pass.forward(canvas);
    logits.push(out);
    const best = top1(out, n, v);
    const masked = [...canvas.keys()].filter((j) => canvas[j] === mask).sort((a, b) => out[b * v + best[b]!]! - out[a * v + best[a]!]!);
    for (const j of masked.slice(0, Math.ceil(n / passes))) canvas[j] = best[j]!;
  }
  const msPerPass = (performance.now() - started) / passes;
  pass.release();
  return { canvases, run: { logits, msPerPass } };
}

interface Drift {
  maxDiff: number;
  agreement: number;
}

/** Largest |Δ logit| over the canvas rows of every pass, and top-1 agreement at the positions still masked. */
function drift(got: Float32Array[], want: Float32Array[], canvases: Int32Array[], n: number, v: number, mask: number): Drift {
  let maxDiff = 0;
  let agree = 0;
  let decided = 0;
  got.forEach((logits, p) => {
    const ref = want[p]!;
    for (let i = 0; i < logits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(logits[i]! - ref[i]!));
    const a = top1(logits, n, v);
    const b = top1(ref, n, v);
    for (let j = 0; j < n; j++) {
      if (canvases[p]![j] !== mask) continue;
      decided++;
      if (a[j] === b[j]) agree++;
    }
  });
  return { maxDiff, agreement: agree / decided };
}

async function tinyModels(): Promise<string[]> {
  const dirs: string[] = [];
  for (const spec of [DREAM_SPEC, LLADA_SPEC]) {
    const dir = path.join(repoRoot, '.cache', 'bench-cached', `tiny-${spec.family}`);
    if (!fs.existsSync(path.join(dir, 'dllm.json'))) {
      fs.rmSync(dir, { recursive: true, force: true });
      await convertCheckpoint(memoryCheckpoint(`${dir}-hf`, spec), { to: dir, weights: 'fp32', context: 2048, canvas: 128 });
    }
    dirs.push(dir);
  }
  return dirs;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { model: { type: 'string', multiple: true }, reference: { type: 'string' }, text: { type: 'string' }, context: { type: 'string' }, canvas: { type: 'string' }, passes: { type: 'string' }, every: { type: 'string' }, threads: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const context = intOption(values.context, 'context', 1024);
  const n = intOption(values.canvas, 'canvas', 32);
  const passes = intOption(values.passes, 'passes', 8);
  const threads = intOption(values.threads, 'threads', 2);
  const intervals = (values.every ?? '1,2,4,8').split(',').map((e) => intOption(e, 'every', 1));
  const dirs = values.model?.map((m) => path.resolve(m)) ?? (await tinyModels());
  const rows: string[][] = [];
  for (const dir of dirs) {
    const exactParts = await loadParts({ modelDir: dir, device: 'cpu', threads, cachedRefreshEvery: 0 });
    const m = exactParts.manifest;
    if (m.contract !== 'full' || m.kvCache === undefined) throw new Error(`${dir}: no cached mode in its dllm.json`);
    const v = m.vocabSize;
    // Random ordinary tokens (below the special ids, which converted vocabularies keep at the end).
    const random = mulberry32(7);
    const tokens = (count: number): number[] => Array.from({ length: count }, () => Math.floor(random() * Math.min(v - 8, 50000)));
    const prefixLength = Math.round(context * 0.75);
    let layout: SequenceLayout = { head: [], prefix: tokens(prefixLength), canvasLength: n, suffix: tokens(context - prefixLength), tail: [] };
    if (values.text) {
      const ids = exactParts.tokenizer.encode(fs.readFileSync(path.resolve(values.text), 'utf8'));
      if (ids.length < context + n) throw new Error(`${values.text}: ${ids.length} tokens, fewer than context + canvas (${context + n})`);
      layout = { head: [], prefix: ids.slice(0, prefixLength), canvasLength: n, suffix: ids.slice(prefixLength + n, context + n), tail: [] };
    }
    const { canvases, run: exact } = await exactRun(exactParts.model, layout, m.specialTokens.mask, passes);
    await exactParts.model.dispose();
    const name = `${m.name} (${m.family ?? '?'})`;
    rows.push([name, 'exact', '0', '100.0%', fmt(exact.msPerPass, 1), '1.00x']);
    if (values.reference) {
      const refParts = await loadParts({ modelDir: path.resolve(values.reference), device: 'cpu', threads, cachedRefreshEvery: 0 });
      if (refParts.manifest.vocabSize !== v) throw new Error(`${values.reference}: vocabSize ${refParts.manifest.vocabSize}, not ${v}`);
      const ref = await run(refParts.model, layout, canvases);
      await refParts.model.dispose();
      const d = drift(ref.logits, exact.logits, canvases, n, v, m.specialTokens.mask);
      rows.push([name, `exact, ${refParts.manifest.name}`, d.maxDiff.toExponential(1), pct(d.agreement), fmt(ref.msPerPass, 1), `${fmt(exact.msPerPass / ref.msPerPass, 2)}x`]);
      console.error(`${name} reference ${refParts.manifest.name}: done`);
    }
    for (const k of intervals) {
      const parts = await loadParts({ modelDir: dir, device: 'cpu', threads, cachedRefreshEvery: k });
      const cached = await run(parts.model, layout, canvases);
      await parts.model.dispose();
      const d = drift(cached.logits, exact.logits, canvases, n, v, m.specialTokens.mask);
      rows.push([name, `cached, k=${k}`, d.maxDiff.toExponential(1), pct(d.agreement), fmt(cached.msPerPass, 1), `${fmt(exact.msPerPass / cached.msPerPass, 2)}x`]);
      console.error(`${name} k=${k}: done`);
    }
  }
  console.log(`context ${context} tokens (${values.text ? path.basename(values.text) : 'random'}), canvas ${n}, ${passes} passes, ${threads} threads, CPU (ms / pass: the mean over the run, refreshes included)\n`);
  console.log(markdownTable(['model', 'mode', 'max |Δ logit|', 'top-1 agreement (masked)', 'ms / pass', 'speed-up'], rows));
}

runMain(main);
