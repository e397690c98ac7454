/**
 * Which weight storage suits a CPU, measured side by side in one run (not a test; no assertions):
 *
 * 1. The compute floor: one Linear of each shape of a 0.5 B Qwen2-shaped model (hidden 896, MLP
 *    4864, 2 key/value heads, vocab 151936) over R rows, as fp32 Gemm, as MatMulNBits with int8
 *    and int4 weights (accuracy_level 0: fp32 compute; 4: int8 compute) and as DynamicQuantizeMatMul
 *    with int8-channel weights, built by the converter's own graph builder and weights writer; and
 *    the CPU's int8 floor, a bare MatMulInteger of uint8 × int8 (x cast to uint8, no quantization
 *    arithmetic, a wrong result); GFLOP/s = 2·R·N·K / time.
 * 2. Outlier channels: the relative error of y for a Linear [4864, 896] against x · Wᵀ in float64,
 *    for plain inputs and for inputs whose channel 7 is 50× the others (as real LLM activations
 *    have), per storage: per-tensor activation quantization (int8-channel) suffers most.
 * 3. Converted models (--models DIR,DIR…, e.g. the folders test/reference/bench_convert.sh writes):
 *    `node dist/complete.js FILE:LINE:COL --model DIR --json` on a long and a short file, under
 *    /usr/bin/time -v: denoise time per forward pass, and the peak resident memory of the process
 *    tree's largest process (the engine's child, which holds the model), and the folder's size.
 *
 *   npm run bench:weights                                   # the compute floor and the outliers
 *   npm run bench:weights -- --rows 64,1056 --reps 5 --threads 2
 *   npm run bench:weights -- --skip-floor --models .cache/bench-convert/model-fp16,.cache/bench-convert/model-int4
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../src/convert/graph';
import { DataType, encodeModel, valueInfoProto } from '../src/convert/onnx';
import type { TensorInfo, TensorSource } from '../src/convert/tensors';
import { WeightStorage, WeightsLayout, writeWeights } from '../src/convert/weightsFile';
import { mulberry32 } from '../src/engine/sampler/random';
import { modelRuns } from './lib/weightsModels';

interface Args {
  rows: number[];
  reps: number;
  threads: number;
  models: string[];
  skipFloor: boolean;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1]! : fallback;
  };
  return {
    rows: get('rows', '32,1056').split(',').map(Number),
    reps: Number(get('reps', '5')),
    threads: Number(get('threads', '2')),
    models: get('models', '').split(',').filter((m) => m !== ''),
    skipFloor: argv.includes('--skip-floor'),
  };
}

/** The 0.5 B model's Linear shapes [N, K] and how many of each one pass runs. */
const SHAPES: { name: string; n: number; k: number; count: number }[] = [
  { name: 'q, o', n: 896, k: 896, count: 48 },
  { name: 'k, v', n: 128, k: 896, count: 48 },
  { name: 'gate, up', n: 4864, k: 896, count: 48 },
  { name: 'down', n: 896, k: 4864, count: 24 },
  { name: 'head', n: 151936, k: 896, count: 1 },
];

interface Variant {
  label: string;
  storage: WeightStorage;
  level?: number;
  /** The bare u8 × s8 MatMulInteger over the int8-channel codes, in place of the storage's node. */
  bare?: boolean;
}

const VARIANTS: Variant[] = [
  { label: 'fp32 Gemm', storage: 'fp32' },
  { label: 'int8 level 0', storage: 'int8', level: 0 },
  { label: 'int8 level 4', storage: 'int8', level: 4 },
  { label: 'int4 level 0', storage: 'int4', level: 0 },
  { label: 'int4 level 4', storage: 'int4', level: 4 },
  { label: 'int8-channel', storage: 'int8-channel' },
  { label: 'floor: MatMulInteger u8×s8', storage: 'int8-channel', bare: true },
];

/** Writes a one-Linear model for W [n, k] stored as `variant`; returns its path. */
async function linearModel(dir: string, n: number, k: number, variant: Variant): Promise<string> {
  const rand = mulberry32(n + k);
  const w = Float32Array.from({ length: n * k }, () => (rand() * 2 - 1) * 0.05);
  return linearModelOf(dir, w, n, k, variant);
}

async function linearModelOf(dir: string, w: Float32Array, n: number, k: number, variant: Variant): Promise<string> {
  const tensors = new Map<string, TensorInfo>([['w', { name: 'w', dtype: 'F32', shape: [n, k] }]]);
  const source: TensorSource = { tensors, readFloat32: () => w };
  const layout = new WeightsLayout('linear.onnx.data');
  const g = new GraphBuilder(layout, variant.storage, new Map([['w', [n, k]]]));
  g.named('Identity', [g.linear('x', 'w')], 'y');
  if (variant.bare) {
    // The same int8 codes B [K, N], x cast to uint8 (not quantized), the int32 product cast to float.
    const [, codes, scales] = g.nodes[0]!.input!;
    if (codes === undefined || scales === undefined) throw new Error('the linear node has no weight codes and scales inputs');
    g.nodes.length = 0;
    g.initializers.splice(g.initializers.findIndex((t) => t.name === scales), 1);
    const xu = g.op('Cast', ['x'], { to: DataType.UINT8 });
    g.named('Cast', [g.op('MatMulInteger', [xu, codes])], 'y', { to: DataType.FLOAT });
  }
  if (variant.level !== undefined) for (const node of g.nodes) for (const a of node.attribute ?? []) if (a.name === 'accuracy_level') a.i = variant.level;
  const graph = { name: 'linear', nodes: g.nodes, initializers: g.initializers, inputs: [valueInfoProto('x', DataType.FLOAT, ['R', k])], outputs: [valueInfoProto('y', DataType.FLOAT, ['R', n])] };
  fs.writeFileSync(path.join(dir, 'linear.onnx'), encodeModel(graph));
  await writeWeights(path.join(dir, 'linear.onnx.data'), layout, source);
  return path.join(dir, 'linear.onnx');
}

/** Median milliseconds of one run over `rows` rows, after one warm-up run. */
async function time(model: string, rows: number, k: number, args: Args): Promise<number> {
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: args.threads,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  try {
    const x = new ort.Tensor('float32', Float32Array.from({ length: rows * k }, (_, i) => Math.sin(i)), [rows, k]);
    await session.run({ x });
    const times: number[] = [];
    for (let i = 0; i < args.reps; i++) {
      const start = performance.now();
      await session.run({ x });
      times.push(performance.now() - start);
    }
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  } finally {
    await session.release();
  }
}

async function computeFloor(args: Args): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-bench-weights-'));
  try {
    for (const rows of args.rows) {
      console.log(`\nCompute floor, ${rows} rows, ${args.threads} threads: ms per call (GFLOP/s)\n`);
      console.log(`| Linear [N, K] | ×/pass | ${VARIANTS.map((v) => v.label).join(' | ')} |`);
      console.log(`| --- | --- |${VARIANTS.map(() => ' ---: |').join('')}`);
      const perPass = VARIANTS.map(() => 0);
      for (const s of SHAPES) {
        const cells: string[] = [];
        for (const [i, v] of VARIANTS.entries()) {
          const ms = await time(await linearModel(dir, s.n, s.k, v), rows, s.k, args);
          perPass[i]! += ms * s.count;
          cells.push(`${ms.toFixed(2)} (${((2 * rows * s.n * s.k) / ms / 1e6).toFixed(0)})`);
        }
        console.log(`| ${s.name} [${s.n}, ${s.k}] | ${s.count} | ${cells.join(' | ')} |`);
      }
      console.log(`| one pass's Linears | | ${perPass.map((ms) => `**${ms.toFixed(0)}**`).join(' | ')} |`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The input channel made an outlier, and how much larger it is than the others. */
const OUTLIER_CHANNEL = 7;
const OUTLIER_FACTOR = 50;

/** y for x [rows, k] through `model`. */
async function outputOf(model: string, x: Float32Array, rows: number, k: number, threads: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads });
  try {
    return (await session.run({ x: new ort.Tensor('float32', x, [rows, k]) })).y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** ‖y − reference‖₂ / ‖reference‖₂. */
function relativeError(y: Float32Array, reference: Float64Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < y.length; i++) {
    diff += (y[i]! - reference[i]!) ** 2;
    norm += reference[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}

/**
 * One gate/up Linear [4864, 896] over 33 rows of inputs uniform in ±1, then the same inputs with
 * channel OUTLIER_CHANNEL OUTLIER_FACTOR× larger: each storage's relative error against x · Wᵀ in
 * float64. Level 0 rows show the weights' own error; the rest add the activations' rounding.
 */
async function outliers(args: Args): Promise<void> {
  const [n, k, rows] = [4864, 896, 33];
  const rand = mulberry32(42);
  const w = Float32Array.from({ length: n * k }, () => (rand() * 2 - 1) * 0.05);
  const plain = Float32Array.from({ length: rows * k }, () => rand() * 2 - 1);
  const outlier = plain.map((v, i) => (i % k === OUTLIER_CHANNEL ? v * OUTLIER_FACTOR : v));
  const reference = (x: Float32Array): Float64Array => {
    const y = new Float64Array(rows * n);
    for (let r = 0; r < rows; r++) for (let o = 0; o < n; o++) {
      let sum = 0;
      for (let i = 0; i < k; i++) sum += x[r * k + i]! * w[o * k + i]!;
      y[r * n + o] = sum;
    }
    return y;
  };
  const [plainRef, outlierRef] = [reference(plain), reference(outlier)];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-bench-outliers-'));
  try {
    console.log(`\nOutlier channel: Linear [${n}, ${k}], ${rows} rows, x uniform in ±1; relative error ‖y − y_fp64‖ / ‖y_fp64‖\n`);
    console.log(`| weights | plain x | channel ${OUTLIER_CHANNEL} ×${OUTLIER_FACTOR} |`);
    console.log('| --- | ---: | ---: |');
    for (const v of VARIANTS.filter((variant) => !variant.bare)) {
      const model = await linearModelOf(dir, w, n, k, v);
      const errors = [relativeError(await outputOf(model, plain, rows, k, args.threads), plainRef), relativeError(await outputOf(model, outlier, rows, k, args.threads), outlierRef)];
      console.log(`| ${v.label} | ${errors.map((e) => `${(e * 100).toFixed(3)}%`).join(' | ')} |`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  console.log(`${os.cpus()[0]?.model ?? 'CPU'}, ${os.cpus().length} cores, onnxruntime-node ${ort.env.versions.common}; 1-min load ${os.loadavg()[0]!.toFixed(2)}`);
  if (!args.skipFloor) {
    await computeFloor(args);
    await outliers(args);
  }
  if (args.models.length > 0) modelRuns(args.models, args.threads);
}

void main();
