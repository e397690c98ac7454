/**
 * The converter against an independent PyTorch reference, per family: a tiny randomly initialised
 * checkpoint in the published format (test/reference/make_checkpoint.py) is converted with
 * the converter (src/convert/convert.ts), run by the product's own command line (`npm run complete -- --dump-logits`),
 * and its top-20 canvas logits are compared with reference.py's fp32 logits for the same token ids.
 * Sub-tests prove the comparison can fail: a corrupted weight, and the Dream shift dropped (or a
 * shift applied where there is none). The block-causal cases (SDAR, Fast-dLLM v2) also check the
 * layout: no suffix.
 *
 * Run: npx mocha --require tsx/cjs --timeout 300000 test/convert/parity.test.ts
 * Needs python3 with venv (Debian's python3-venv); test/reference/setup.sh builds .cache/pyref.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { FirstPassDump } from '../../src/protocol/firstPass';
import { compareCanvas, offByOne } from './compareLogits';
import { convert, dumpFirstPass, type Storage } from './product';
import { corruptTensor, makeCheckpoint, pyrefPython, referenceFor, type CheckpointKind, type ReferenceRows } from './pyref';

/** fp32 graph against fp32 PyTorch: only summation order differs. */
const fp32Bound = 1e-4;
/**
 * fp16 storage: every bf16 weight within fp16's range is exactly an fp16 value (8 mantissa bits fit
 * in 10) except below fp16's normal range (|w| < 6.1e-5: subnormals, absolute error ≤ 3e-8), and
 * norm weights and biases stay fp32; so a bf16 checkpoint loses almost nothing (measured: the same
 * 1e-7 as fp32). Twice the fp32 bound leaves room for a checkpoint with many tiny weights.
 */
const fp16Bound = 2e-4;

interface FamilyCase {
  title: string;
  kind: CheckpointKind;
  /** --family for the converter, where config.json alone does not say (a plain qwen2 config). */
  family?: string;
  /**
   * One tensor to corrupt, present in this family's checkpoint. Not a k_proj bias: it adds q·b to
   * every key of a query alike, which softmax all but cancels.
   */
  corrupt: string;
  /** Block-causal (SDAR, Fast-dLLM v2): the sequence ends with the canvas, the suffix left out. */
  blockCausal?: boolean;
}

const cases: FamilyCase[] = [
  { title: 'Dream (DreamModel config, untied head, sharded)', kind: 'dream', corrupt: 'model.layers.1.self_attn.v_proj.bias' },
  { title: 'Open-dCoder (qwen2 config, tied embeddings)', kind: 'dream-qwen2', family: 'dream', corrupt: 'model.layers.0.post_attention_layernorm.weight' },
  { title: 'LLaDA (LLaDAModelLM config, sharded)', kind: 'llada', corrupt: 'model.transformer.blocks.1.ff_norm.weight' },
  { title: 'SDAR (SDARForCausalLM config, q/k head norms, block-causal)', kind: 'sdar', corrupt: 'model.layers.0.self_attn.k_norm.weight', blockCausal: true },
  { title: 'Fast-dLLM v2 (Fast_dLLM_QwenForCausalLM config, shifted, block-causal)', kind: 'fast-dllm-v2', corrupt: 'model.layers.1.self_attn.v_proj.bias', blockCausal: true },
];

// A small Python file and a cursor inside a function body: prefix, canvas and suffix all present.
const source = 'def add(a, b):\n    return a + b\n\n\ndef scale(xs, k):\n    out = []\n    for x in xs:\n        out.append(x * k)\n    return out\n';
const cursor = '6:5';

describe('converter parity with a PyTorch reference', function () {
  let work: string;
  let target: string;

  before(function () {
    pyrefPython();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-parity-'));
    target = path.join(work, 'sample.py');
    fs.writeFileSync(target, source);
  });

  after(function () {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  for (const c of cases) {
    describe(c.title, function () {
      let hf: string;
      let dump: FirstPassDump;
      let reference: ReferenceRows;

      async function convertAndDump(checkpoint: string, storage: Storage, name: string): Promise<FirstPassDump> {
        const model = path.join(work, `${c.kind}-${name}`);
        await convert(checkpoint, model, { family: c.family, storage });
        return dumpFirstPass(model, `${target}:${cursor}`, path.join(work, `${c.kind}-${name}.dump.json`));
      }

      before(async function () {
        hf = path.join(work, `${c.kind}-hf`);
        makeCheckpoint(c.kind, hf, 1);
        dump = await convertAndDump(hf, 'fp32', 'fp32');
        reference = referenceFor(hf, path.join(work, `${c.kind}-fp32.dump.json`), work);
      });

      it('fp32: the top-20 canvas logits equal the reference within 1e-4, with the same top-1 and top-20', function () {
        assert.ok(dump.topk.length > 0 && dump.tokens.length > dump.canvasStart);
        // The first pass sees an all-masked canvas, under the checkpoint's own mask id.
        const config = JSON.parse(fs.readFileSync(path.join(hf, 'config.json'), 'utf8')) as { mask_token_id?: number };
        const canvas = dump.tokens.slice(dump.canvasStart, dump.canvasStart + dump.topk.length);
        if (config.mask_token_id !== undefined) assert.ok(canvas.every((t) => t === config.mask_token_id), `canvas ${canvas.join(',')}`);
        // A block-causal model sees nothing after the canvas: the product leaves the suffix out.
        if (c.blockCausal) assert.equal(dump.tokens.length, dump.canvasStart + dump.topk.length);
        const r = compareCanvas(dump, reference.canvas, fp32Bound);
        console.log(`      ${c.kind} fp32: max |Δlogit| ${r.maxAbsDiff.toExponential(2)} over ${dump.topk.length} canvas positions × 20`);
        assert.ok(r.maxAbsDiff <= fp32Bound, `max |Δ| ${r.maxAbsDiff} > ${fp32Bound}`);
        assert.deepEqual(r.top1Mismatches, [], 'top-1 differs at these canvas positions');
        assert.deepEqual(r.topSetMismatches, [], 'top-20 set differs at these canvas positions');
      });

      it(`fp16 storage: within ${fp16Bound}`, async function () {
        const half = await convertAndDump(hf, 'fp16', 'fp16');
        assert.deepEqual(half.tokens, dump.tokens);
        const r = compareCanvas(half, reference.canvas, fp16Bound);
        console.log(`      ${c.kind} fp16: max |Δlogit| ${r.maxAbsDiff.toExponential(2)}`);
        assert.ok(r.maxAbsDiff <= fp16Bound, `max |Δ| ${r.maxAbsDiff} > ${fp16Bound}`);
      });

      it('fails on a model whose one weight was read wrong', async function () {
        const bad = path.join(work, `${c.kind}-corrupt-hf`);
        fs.cpSync(hf, bad, { recursive: true });
        corruptTensor(bad, c.corrupt);
        const wrong = await convertAndDump(bad, 'fp32', 'corrupt');
        const r = compareCanvas(wrong, reference.canvas, fp32Bound);
        console.log(`      ${c.kind} with ${c.corrupt} off by 0.5: max |Δlogit| ${r.maxAbsDiff.toExponential(2)}`);
        assert.ok(r.maxAbsDiff > fp32Bound, 'the comparison did not notice a corrupted weight');
      });

      it(c.kind.startsWith('dream') || c.kind === 'fast-dllm-v2' ? 'fails when the shift is dropped' : 'fails when a shift is applied', function () {
        const rows = offByOne(reference.rows, dump, reference.shifted);
        const r = compareCanvas(dump, rows, fp32Bound);
        console.log(`      ${c.kind} rows one position off: max |Δlogit| ${r.maxAbsDiff.toExponential(2)}`);
        assert.ok(r.maxAbsDiff > fp32Bound, `rows one position off still match (max |Δ| ${r.maxAbsDiff})`);
      });
    });
  }
});
