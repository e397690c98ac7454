/**
 * Speed of the bundled model's two graphs in onnxruntime-node on CPU: `context` over C tokens
 * and one `denoise` pass over an N-token canvas against a C-token cache. Prints median and p95
 * of 50 runs (after warm-up) per size; no assertions — figures only.
 *
 *   npm run bench:model [-- --model models/dllm-code-tiny --threads 2 --reps 50]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';

interface Args {
  model: string;
  threads: number;
  reps: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
  };
  return {
    model: path.resolve(get('model', path.join(__dirname, '..', '..', 'models', 'dllm-code-tiny'))),
    threads: Number(get('threads', '2')),
    reps: Number(get('reps', '50')),
  };
}

const int64 = (xs: number[]) => new ort.Tensor('int64', BigInt64Array.from(xs.map(BigInt)), [1, xs.length]);
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const randomIds = (n: number) => Array.from({ length: n }, () => 32 + Math.floor(Math.random() * 4000));

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function time(reps: number, fn: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  for (let i = 0; i < 5; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { median: quantile(ms, 0.5), p95: quantile(ms, 0.95) };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const manifest = JSON.parse(fs.readFileSync(path.join(args.model, 'dllm.json'), 'utf8'));
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
  };
  const context = await ort.InferenceSession.create(path.join(args.model, manifest.files.context), options);
  const denoise = await ort.InferenceSession.create(path.join(args.model, manifest.files.denoise), options);
  console.log(`model ${manifest.name} (${args.model}), ${args.threads} intra-op threads, ${args.reps} runs each`);
  console.log('graph     C     N   median ms   p95 ms');
  const row = (g: string, c: number, n: number | string, r: { median: number; p95: number }) =>
    console.log(`${g.padEnd(8)}${String(c).padStart(4)}${String(n).padStart(6)}${r.median.toFixed(2).padStart(12)}${r.p95.toFixed(2).padStart(9)}`);

  for (const c of [128, 256, 448, 512]) {
    const feeds = { input_ids: int64(randomIds(c)), position_ids: int64(range(0, c)) };
    row('context', c, '-', await time(args.reps, () => context.run(feeds)));
  }
  for (const c of [256, 448]) {
    const kv = await context.run({ input_ids: int64(randomIds(c)), position_ids: int64(range(0, c)) });
    for (const n of [16, 32, 64]) {
      const feeds = {
        canvas_ids: int64(new Array<number>(n).fill(manifest.specialTokens.mask)),
        canvas_position_ids: int64(range(c, n)),
        keys: kv.keys,
        values: kv.values,
      };
      row('denoise', c, n, await time(args.reps, () => denoise.run(feeds)));
    }
  }
  await context.release();
  await denoise.release();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
