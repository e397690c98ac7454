// Compare an exported split-contract model folder, run by onnxruntime-node, with the PyTorch
// logits that export.py stored for several (C, N). Prints the max abs difference per case and
// exits non-zero above the tolerance.
//
//   node verify_onnx.mjs ../dllm-code-tiny work/verify/cases.json [tolerance]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const [modelDir, casesPath, tolArg] = process.argv.slice(2);
if (!modelDir || !casesPath) {
  console.error('usage: node verify_onnx.mjs MODEL_DIR CASES_JSON [TOLERANCE]');
  process.exit(2);
}
const tolerance = Number(tolArg ?? 1e-3);
const manifest = JSON.parse(readFileSync(join(modelDir, 'dllm.json'), 'utf8'));
const options = { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
const context = await ort.InferenceSession.create(join(modelDir, manifest.files.context), options);
const denoise = await ort.InferenceSession.create(join(modelDir, manifest.files.denoise), options);
const cases = JSON.parse(readFileSync(casesPath, 'utf8'));

const int64 = (xs) => new ort.Tensor('int64', BigInt64Array.from(xs.map(BigInt)), [1, xs.length]);
let worst = 0;
for (const c of cases) {
  const kv = await context.run({ input_ids: int64(c.contextIds), position_ids: int64(c.contextPositions) });
  const out = await denoise.run({
    canvas_ids: int64(c.canvasIds),
    canvas_position_ids: int64(c.canvasPositions),
    keys: kv.keys,
    values: kv.values,
  });
  const got = out.logits.data;
  const want = new Float32Array(new Uint8Array(Buffer.from(c.logits, 'base64')).buffer);
  if (got.length !== want.length) throw new Error(`C=${c.C} N=${c.N}: ${got.length} logits, expected ${want.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < got.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  worst = Math.max(worst, diff);
  console.log(`C=${c.C} N=${c.N} kv=[${kv.keys.dims}] logits=[${out.logits.dims}] max|diff|=${diff.toExponential(2)} (max|logit| ${scale.toFixed(1)})`);
}
console.log(`worst max|diff| ${worst.toExponential(2)}, tolerance ${tolerance}`);
process.exit(worst <= tolerance ? 0 : 1);
