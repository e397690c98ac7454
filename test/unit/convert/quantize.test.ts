/**
 * The quantizer against onnxruntime's MatMulNBits: one Linear, built by the graph builder with int8
 * or int4 storage and written by the weights writer, must compute x · dequantize(W)ᵀ + b exactly as
 * the quantizer's own dequantization says (so a packing or layout mistake fails loudly), K not a
 * multiple of the block included; the dequantized weights stay within half a step of W; and the
 * storage suggested per device.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { QUANT_BLOCK, QuantBits, QuantScheme, dequantizeMatrix, quantizeMatrix } from '../../../src/convert/quantize';
import { WEIGHT_STORAGES, weightsForDevice } from '../../../src/convert/weightsFile';
import { maxDiff, random, referenceLinear, runLinear } from './linearModel';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-quant-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('convert/quantize: blockwise weights for MatMulNBits', function () {
  this.timeout(60000);

  for (const bits of [8, 4] as const) {
    for (const k of [64, 48, 7, 100]) {
      it(`int${bits}, K ${k}${k % QUANT_BLOCK ? ' (last block padded)' : ''}: onnxruntime computes with exactly the dequantized weights`, async () => {
        const n = 24;
        const rows = 5;
        // Rows of very different ranges, one all zero, one all positive: every block's scale differs.
        const w = random(n * k, 11 + k, 0.5).map((v, i) => (Math.floor(i / k) === 3 ? 0 : Math.floor(i / k) === 4 ? Math.abs(v) : v * (1 + (i % 97) / 10)));
        const b = random(n, 5);
        const x = random(rows * k, 3);
        const { y } = await runLinear(tmp, `int${bits}`, x, rows, w, b, n, k);
        const deq = dequantizeMatrix(quantizeMatrix(w, n, k, bits), n, k, bits);
        // Level 4 quantizes x to int8 per block of K: allow its rounding (about 1/254 of a block's
        // largest |x| per term), but a wrongly packed code or scale is off by whole steps.
        const expected = referenceLinear(x, rows, deq, b, n, k);
        const bound = (k * 1) / 127;
        assert.ok(maxDiff(y, expected) < bound, `max diff ${maxDiff(y, expected)} ≥ ${bound}`);
        // The same comparison over the original weights is clearly worse for int4, so the check has teeth.
        if (bits === 4) assert.ok(maxDiff(y, expected) < maxDiff(referenceLinear(x, rows, w, b, n, k), expected) / 2);
      });
    }
  }

  for (const scheme of ['asymmetric', 'symmetric'] as QuantScheme[]) {
    for (const bits of [8, 4] as QuantBits[]) {
      // Symmetric codes give the largest magnitude the extreme code −2^(bits−1), as MLAS does, so
      // the opposite extreme may clip by up to one step.
      const steps = scheme === 'symmetric' ? 1 : 0.5;
      it(`${scheme} int${bits}: every dequantized weight is within ${steps} step of its value`, () => {
        const n = 16;
        const k = 80;
        const w = random(n * k, 7, 0.3);
        const q = quantizeMatrix(w, n, k, bits, scheme);
        assert.equal(q.zeroPoints === undefined, scheme === 'symmetric');
        const deq = dequantizeMatrix(q, n, k, bits);
        for (let i = 0; i < w.length; i++) {
          const scale = Math.abs(q.scales[Math.floor(i / k) * Math.ceil(k / QUANT_BLOCK) + Math.floor((i % k) / QUANT_BLOCK)]!);
          assert.ok(Math.abs(deq[i]! - w[i]!) <= scale * steps + 1e-7, `weight ${i}: ${w[i]} → ${deq[i]}`);
        }
      });
    }
  }

  it('stores an all-zero block as zeros and packs two int4 codes to a byte, the even one low', () => {
    const k = 40;
    const w = new Float32Array(2 * k);
    w[k] = 1; // row 1, column 0: the block's top code
    const q = quantizeMatrix(w, 2, k, 4);
    assert.deepEqual(Array.from(dequantizeMatrix(q, 2, k, 4)), Array.from(w));
    assert.equal(q.data.length, 2 * 2 * 16);
    assert.equal(q.data[2 * 16]! & 0x0f, 15); // row 1, block 0, byte 0, low nibble
  });
});

describe('convert/weightsFile: weights per device', () => {
  it('offers int8, int4 and int8-channel, and suggests a quantized storage for a CPU and fp16 for a GPU', () => {
    assert.deepEqual(WEIGHT_STORAGES, ['fp32', 'fp16', 'int8', 'int4', 'int8-channel']);
    assert.ok(['int8', 'int4', 'int8-channel'].includes(weightsForDevice('cpu')));
    assert.equal(weightsForDevice('gpu'), 'fp16');
  });
});
