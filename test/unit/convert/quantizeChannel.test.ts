/**
 * The per-output-channel int8 quantizer against onnxruntime's DynamicQuantizeMatMul: codes and
 * scales round-trip within half a step (a zero row, a row with one outsized value, K of any size),
 * B is W transposed, and one Linear built by the graph builder with int8-channel storage and written
 * by the weights writer computes x · dequantize(W)ᵀ + b within the rounding of x to uint8 per
 * tensor, a bound that a transposed B or misapplied scales exceed many times over.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { channelShapes, dequantizeChannels, quantizeChannels } from '../../../src/convert/quantizeChannel';
import { maxDiff, random, referenceLinear, runLinear } from './linearModel';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-quant-channel-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Rows of very different ranges (row r scaled by 1 + r), so every channel's scale differs. */
function weights(n: number, k: number, seed: number): Float32Array {
  return random(n * k, seed, 0.5).map((v, i) => v * (1 + Math.floor(i / k)));
}

describe('convert/quantizeChannel: int8 per output channel for DynamicQuantizeMatMul', function () {
  this.timeout(60000);

  for (const k of [1, 7, 100, 896]) {
    it(`K ${k}: every weight is within half a step of its value, the largest of a row exact`, () => {
      const n = 13;
      const w = weights(n, k, 3 + k);
      const q = quantizeChannels(w, n, k);
      assert.deepEqual(channelShapes(n, k), { data: [k, n], scales: [n] });
      assert.equal(q.data.length, k * n);
      assert.equal(q.scales.length, n);
      const deq = dequantizeChannels(q, n, k);
      for (let row = 0; row < n; row++) {
        const scale = q.scales[row]!;
        let largest = 0;
        for (let i = 0; i < k; i++) {
          const code = q.data[i * n + row]!;
          assert.ok(code >= -127 && code <= 127, `code ${code}`);
          assert.ok(Math.abs(deq[row * k + i]! - w[row * k + i]!) <= scale / 2 + 1e-7, `w[${row}, ${i}]: ${w[row * k + i]} → ${deq[row * k + i]}`);
          largest = Math.max(largest, Math.abs(code));
        }
        assert.equal(largest, 127, `row ${row}`);
      }
    });
  }

  it('stores B as W transposed: code [i, n] belongs to output n, input i', () => {
    // W [2, 3] = [[1, −0.5, 0], [0, 2, −2]]: scales 1/127 and 2/127.
    const w = Float32Array.from([1, -0.5, 0, 0, 2, -2]);
    const q = quantizeChannels(w, 2, 3);
    assert.deepEqual(Array.from(q.data), [127, 0, -64, 127, 0, -127]);
    assert.deepEqual(Array.from(q.scales), [Math.fround(1 / 127), Math.fround(2 / 127)]);
  });

  it('gives a zero row codes 0 and a scale that dequantizes to exactly 0', () => {
    const n = 3;
    const k = 5;
    const w = Float32Array.from([0.1, -0.2, 0.3, 0.4, -0.5, 0, 0, 0, 0, 0, 1e-45, 0, 0, 0, 0]);
    const q = quantizeChannels(w, n, k);
    const deq = dequantizeChannels(q, n, k);
    for (let i = 0; i < k; i++) assert.equal(deq[k + i], 0);
    assert.ok(Number.isFinite(q.scales[1]!) && q.scales[1]! > 0);
    // A row whose scale underflows fp32: codes 0, never NaN or an infinite code.
    assert.ok(Number.isFinite(q.scales[2]!) && q.scales[2]! > 0);
    for (let i = 0; i < k; i++) assert.equal(q.data[i * n + 2], 0);
  });

  it('keeps a row with one outsized value: that value exact, the rest rounded to its coarse step', () => {
    const k = 64;
    const w = random(k, 9, 0.01);
    w[17] = 5;
    const q = quantizeChannels(w, 1, k);
    const deq = dequantizeChannels(q, 1, k);
    assert.equal(q.data[17], 127);
    assert.ok(Math.abs(deq[17]! - 5) < 1e-6);
    // The step is 5/127 ≈ 0.039: the small values (|w| < 0.01) all round to 0.
    for (let i = 0; i < k; i++) if (i !== 17) assert.equal(deq[i], 0, `w[${i}] = ${w[i]}`);
  });

  it('refuses a length that does not match the shape', () => {
    assert.throws(() => quantizeChannels(new Float32Array(5), 2, 3), /5 values for \[2, 3\]/);
  });

  for (const [n, k, bias] of [[24, 100, true], [48, 48, false], [7, 33, true]] as const) {
    it(`one Linear [${n}, ${k}]${bias ? ' with a bias' : ''}: onnxruntime computes x · dequantize(W)ᵀ${bias ? ' + b' : ''} within x's uint8 rounding`, async () => {
      const rows = 5;
      const w = weights(n, k, 11 + k);
      const b = bias ? random(n, 5, 10) : undefined;
      const x = random(rows * k, 3);
      const { y, ops } = await runLinear(tmp, 'int8-channel', x, rows, w, b, n, k);
      assert.deepEqual(ops, ['com.microsoft:DynamicQuantizeMatMul', ':Identity']);
      const q = quantizeChannels(w, n, k);
      const deq = dequantizeChannels(q, n, k);
      const expected = referenceLinear(x, rows, deq, b, n, k);
      // x is rounded to uint8 over its range [min(0, lo), max(0, hi)]: each value moves by at most
      // one step (half a step, plus the zero point's own rounding), so output n moves by at most
      // step · Σ|W'[n, :]|, plus float rounding.
      let lo = 0;
      let hi = 0;
      for (const v of x) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      const step = (hi - lo) / 255;
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < n; o++) {
          let l1 = 0;
          for (let i = 0; i < k; i++) l1 += Math.abs(deq[o * k + i]!);
          const bound = step * l1 + 1e-4;
          const diff = Math.abs(y[r * n + o]! - expected[r * n + o]!);
          assert.ok(diff <= bound, `y[${r}, ${o}]: diff ${diff} > ${bound}`);
        }
      }
      // The check has teeth: scales applied in the wrong order, a transposed B (square case) or a
      // lost bias are off by many times the bound's largest value.
      const worst = maxDiff(y, expected);
      const reversed = dequantizeChannels({ data: q.data, scales: q.scales.slice().reverse() }, n, k);
      assert.ok(maxDiff(y, referenceLinear(x, rows, reversed, b, n, k)) > 10 * worst);
      if (n === k) {
        const transposed = new Float32Array(n * k).map((_, i) => deq[(i % k) * k + Math.floor(i / k)]!);
        assert.ok(maxDiff(y, referenceLinear(x, rows, transposed, b, n, k)) > 10 * worst);
      }
      if (b) assert.ok(maxDiff(y, referenceLinear(x, rows, deq, undefined, n, k)) > 10 * worst, `${maxDiff(y, referenceLinear(x, rows, deq, undefined, n, k))} vs ${worst}`);
    });
  }
});
