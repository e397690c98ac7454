// Compare an exported split-contract model folder, run by onnxruntime-node, with the PyTorch
// logits export.py stored in its reference cases (random requests at several (C, N) and requests
// cut from real code). Two checks per case:
//   exact  the logits of the model as stored (fp16/int8-rounded weights): must agree within the
//          tolerance (float arithmetic only, whatever the storage);
//   drift  the logits of the fp32 model: max |diff|, the same relative to max |logit|, and on the
//          code cases the share of canvas positions whose argmax is unchanged; bounded per storage
//          (the manifest's `architecture.storage`).
// With `contextAttention: causalSuffixFirst` the context graph also takes past keys/values: every
// case runs with an empty past (P = 0) and, split in two, with the first part's K/V as the past;
// the concatenated keys must equal the single pass.
//
//   node verify_onnx.mjs ../dllm-code-tiny work/verify/cases.json [tolerance]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

// Bounds on the storage's effect vs the fp32 model: max |diff| / max |logit|, and argmax agreement.
const DRIFT_LIMITS = {
  fp32: { relative: 1e-5, agreement: 1 },
  fp16: { relative: 5e-3, agreement: 0.995 },
  int8: { relative: 5e-2, agreement: 0.99 },
};

const [modelDir, casesPath, tolArg] = process.argv.slice(2);
if (!modelDir || !casesPath) {
  console.error('usage: node verify_onnx.mjs MODEL_DIR CASES_JSON [TOLERANCE]');
  process.exit(2);
}
const tolerance = Number(tolArg ?? 1e-3);
// The graphs' tensor names by role, from the product's contract (src/modelFolder/graphs.json).
const GRAPHS = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../../src/modelFolder/graphs.json'), 'utf8'));
const CTX = GRAPHS.splitCausalContext; // the bidirectional context graph's roles are a subset, under the same names
const DEN = GRAPHS.splitDenoise;
const manifest = JSON.parse(readFileSync(join(modelDir, 'dllm.json'), 'utf8'));
const storage = manifest.architecture?.storage ?? 'fp32';
const limits = DRIFT_LIMITS[storage];
if (!limits) throw new Error(`unknown storage ${storage}`);
const causal = manifest.contextAttention === 'causalSuffixFirst';
const options = { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
const context = await ort.InferenceSession.create(join(modelDir, manifest.files.context), options);
const denoise = await ort.InferenceSession.create(join(modelDir, manifest.files.denoise), options);
const cases = JSON.parse(readFileSync(casesPath, 'utf8'));
const { layers, heads, headDim } = manifest.kvCache;
const vocab = manifest.vocabSize;

const int64 = (xs) => new ort.Tensor('int64', BigInt64Array.from(xs.map(BigInt)), [1, xs.length]);
const floats = (b64) => new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer);
const emptyPast = () => new ort.Tensor('float32', new Float32Array(0), [layers, 1, heads, 0, headDim]);

async function encode(ids, pos, past) {
  const feeds = { [CTX.inputs.ids]: int64(ids), [CTX.inputs.positions]: int64(pos) };
  if (causal) Object.assign(feeds, { [CTX.inputs.pastKeys]: past?.keys ?? emptyPast(), [CTX.inputs.pastValues]: past?.values ?? emptyPast() });
  const out = await context.run(feeds);
  return { keys: out[CTX.outputs.keys], values: out[CTX.outputs.values] };
}

/** [L,1,H,A,D] ++ [L,1,H,B,D] along the token axis. */
function concatTokens(a, b) {
  const [na, nb] = [a.dims[3], b.dims[3]];
  const out = new Float32Array(a.data.length + b.data.length);
  for (let lh = 0; lh < layers * heads; lh++) {
    out.set(a.data.subarray(lh * na * headDim, (lh + 1) * na * headDim), lh * (na + nb) * headDim);
    out.set(b.data.subarray(lh * nb * headDim, (lh + 1) * nb * headDim), (lh * (na + nb) + na) * headDim);
  }
  return new ort.Tensor('float32', out, [layers, 1, heads, na + nb, headDim]);
}

function maxDiff(got, want) {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < got.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return { diff, scale };
}

const argmax = (row) => row.reduce((best, x, j) => (x > row[best] ? j : best), 0);

async function logitsFor(c, kv) {
  const out = await denoise.run({
    [DEN.inputs.canvas]: int64(c.canvasIds),
    [DEN.inputs.canvasPositions]: int64(c.canvasPositions),
    [DEN.inputs.keys]: kv.keys,
    [DEN.inputs.values]: kv.values,
  });
  const logits = out[DEN.outputs.logits];
  if (logits.data.length !== c.N * vocab) throw new Error(`C=${c.C} N=${c.N}: logits [${logits.dims}]`);
  return logits.data;
}

let worst = 0;
let worstRel = 0;
let agree = 0;
let positions = 0;
let failed = false;
for (const c of cases) {
  const kv = await encode(c.contextIds, c.contextPositions);
  const got = await logitsFor(c, kv);
  const { diff, scale } = maxDiff(got, floats(c.logits));
  worst = Math.max(worst, diff);
  let line = `${(c.kind ?? 'random').padEnd(6)} C=${c.C} N=${c.N} kv=[${kv.keys.dims}] max|diff| ${diff.toExponential(2)} (max|logit| ${scale.toFixed(1)})`;
  if (c.logitsFp32) {
    const fp32 = floats(c.logitsFp32);
    const drift = maxDiff(got, fp32);
    const rel = drift.diff / drift.scale;
    worstRel = Math.max(worstRel, rel);
    line += `; vs fp32 ${drift.diff.toExponential(2)} (relative ${rel.toExponential(2)})`;
    if (c.kind === 'code') {
      for (let i = 0; i < c.N; i++) {
        positions++;
        if (argmax(got.subarray(i * vocab, (i + 1) * vocab)) === argmax(fp32.subarray(i * vocab, (i + 1) * vocab))) agree++;
      }
    }
  }
  if (causal && c.split !== undefined) {
    const k = c.split;
    const first = await encode(c.contextIds.slice(0, k), c.contextPositions.slice(0, k));
    const second = await encode(c.contextIds.slice(k), c.contextPositions.slice(k), first);
    const keys = concatTokens(first.keys, second.keys);
    const values = concatTokens(first.values, second.values);
    const kd = Math.max(maxDiff(keys.data, kv.keys.data).diff, maxDiff(values.data, kv.values.data).diff);
    const sd = maxDiff(await logitsFor(c, { keys, values }), floats(c.logits)).diff;
    worst = Math.max(worst, kd, sd);
    line += `; past ${k} + ${c.C - k}: K/V vs one pass ${kd.toExponential(2)}, logits ${sd.toExponential(2)}`;
  }
  console.log(line);
}
console.log(`storage ${storage}${causal ? ', causal context' : ''}: worst max|diff| ${worst.toExponential(2)} (tolerance ${tolerance})`);
if (worst > tolerance) failed = true;
if (positions > 0) {
  const rate = agree / positions;
  console.log(`vs fp32: worst relative drift ${worstRel.toExponential(2)} (limit ${limits.relative}), ` +
    `argmax agreement on code ${agree}/${positions} = ${(100 * rate).toFixed(2)}% (limit ${100 * limits.agreement}%)`);
  if (worstRel > limits.relative || rate < limits.agreement) failed = true;
}
process.exit(failed ? 1 : 0);
