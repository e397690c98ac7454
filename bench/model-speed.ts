/**
 * Speed of a model folder's two graphs in onnxruntime-node on CPU, with the engine's session
 * options (no spinning threads): `context` over C tokens, one `denoise` pass over an N-token canvas
 * against a C-token cache, and a cold inline request — one `context` pass over 448 tokens plus 8
 * `denoise` passes over a 32-token canvas, timed together (what a completion costs when nothing is
 * cached). Median and p95 of --reps runs after warm-up; the folder's size; the 1-minute load
 * average before and after (the figures mean little on a busy machine). No assertions.
 *
 *   npm run bench:model [-- --model models/dllm-code-tiny --threads 2 --reps 50]
 *   npm run bench:model -- --quick --json out.json      # cold inline + its two graphs only
 *   npm run bench:model -- --inline-context 1024         # the cold request over another context
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { GRAPHS } from '../src/modelFolder/graphs';

interface Args {
  model: string;
  threads: number;
  reps: number;
  quick: boolean;
  json: string;
  inlineContext: number;
  inlineCanvas: number;
  inlinePasses: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1]! : fallback;
  };
  return {
    model: path.resolve(get('model', path.join(__dirname, '..', 'models', 'dllm-code-tiny'))),
    threads: Number(get('threads', '2')),
    reps: Number(get('reps', '50')),
    quick: argv.includes('--quick'),
    json: get('json', ''),
    inlineContext: Number(get('inline-context', '448')),
    inlineCanvas: Number(get('inline-canvas', '32')),
    inlinePasses: Number(get('inline-passes', '8')),
  };
}

interface Timing {
  median: number;
  p95: number;
  /** Median CPU time of the process per run (all threads): less sensitive than wall time to other jobs. */
  cpuMedian: number;
}

const int64 = (xs: number[]) => new ort.Tensor('int64', BigInt64Array.from(xs.map(BigInt)), [1, xs.length]);
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const randomIds = (n: number) => Array.from({ length: n }, () => 32 + Math.floor(Math.random() * 4000));
const load1 = () => Number(os.loadavg()[0]!.toFixed(2));

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function time(reps: number, fn: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < 5; i++) await fn();
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  ms.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { median: quantile(ms, 0.5), p95: quantile(ms, 0.95), cpuMedian: quantile(cpu, 0.5) };
}

function folderBytes(dir: string): number {
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

/** The fields of a split model's dllm.json that this benchmark reads. */
interface SplitModelJson {
  name: string;
  architecture?: string;
  files: { context: string; denoise: string };
  kvCache: { layers: number; heads: number; headDim: number };
  contextAttention?: string;
  specialTokens: { mask: number };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const manifest = JSON.parse(fs.readFileSync(path.join(args.model, 'dllm.json'), 'utf8')) as SplitModelJson;
  // The engine's CPU options (src/engine/session.ts): spinning threads would hide the cost of idle cores.
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
  const context = await ort.InferenceSession.create(path.join(args.model, manifest.files.context), options);
  const denoise = await ort.InferenceSession.create(path.join(args.model, manifest.files.denoise), options);
  const { layers, heads, headDim } = manifest.kvCache;
  const causal = manifest.contextAttention === 'causalSuffixFirst';
  const emptyPast = () => new ort.Tensor('float32', new Float32Array(0), [layers, 1, heads, 0, headDim]);
  const { inputs: ctx, outputs: kvOut } = GRAPHS.splitCausalContext;
  const den = GRAPHS.splitDenoise.inputs;
  const contextFeeds = (c: number) => ({
    [ctx.ids]: int64(randomIds(c)),
    [ctx.positions]: int64(range(0, c)),
    ...(causal ? { [ctx.pastKeys]: emptyPast(), [ctx.pastValues]: emptyPast() } : {}),
  });
  const denoiseFeeds = (kv: ort.InferenceSession.OnnxValueMapType, c: number, n: number) => ({
    [den.canvas]: int64(new Array<number>(n).fill(manifest.specialTokens.mask)),
    [den.canvasPositions]: int64(range(c, n)),
    [den.keys]: kv[kvOut.keys]!,
    [den.values]: kv[kvOut.values]!,
  });

  const bytes = folderBytes(args.model);
  const loadBefore = load1();
  console.log(`model ${manifest.name} (${args.model}), ${(bytes / 1e6).toFixed(1)} MB, ${args.threads} intra-op threads, ${args.reps} runs each, load ${loadBefore}`);
  console.log('graph     C     N   median ms   p95 ms');
  const rows: { graph: string; C: number; N: number | null; median: number; p95: number }[] = [];
  const row = (graph: string, c: number, n: number | null, r: Timing) => {
    rows.push({ graph, C: c, N: n, ...r });
    console.log(`${graph.padEnd(8)}${String(c).padStart(4)}${String(n ?? '-').padStart(6)}${r.median.toFixed(2).padStart(12)}${r.p95.toFixed(2).padStart(9)}`);
  };

  const { inlineContext: ic, inlineCanvas: icn, inlinePasses: passes } = args;
  for (const c of args.quick ? [ic] : [128, 256, 448, 512]) {
    const feeds = contextFeeds(c);
    row('context', c, null, await time(args.reps, () => context.run(feeds)));
  }
  for (const c of args.quick ? [ic] : [256, 448]) {
    const kv = await context.run(contextFeeds(c));
    for (const n of args.quick ? [icn] : [16, 32, 64]) {
      const feeds = denoiseFeeds(kv, c, n);
      row('denoise', c, n, await time(args.reps, () => denoise.run(feeds)));
    }
  }
  const request = contextFeeds(ic);
  const inline = await time(args.reps, async () => {
    const kv = await context.run(request);
    const feeds = denoiseFeeds(kv, ic, icn);
    for (let i = 0; i < passes; i++) await denoise.run(feeds);
  });
  const loadAfter = load1();
  console.log(
    `cold inline request (context ${ic} + ${passes} × denoise ${icn}): median ${inline.median.toFixed(1)} ms, ` +
      `p95 ${inline.p95.toFixed(1)} ms, CPU time ${inline.cpuMedian.toFixed(1)} ms; load ${loadBefore} → ${loadAfter}`,
  );
  if (args.json) {
    const result = {
      model: args.model,
      name: manifest.name,
      architecture: manifest.architecture ?? null,
      folderBytes: bytes,
      threads: args.threads,
      reps: args.reps,
      load: [loadBefore, loadAfter],
      rows,
      coldInline: { context: ic, canvas: icn, passes, ...inline },
    };
    fs.writeFileSync(args.json, `${JSON.stringify(result, null, 1)}\n`);
  }
  await context.release();
  await denoise.release();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
