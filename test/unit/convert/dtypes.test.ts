import * as assert from 'node:assert/strict';
import {
  bfloat16ToFloat32Array,
  float16BitsToFloat32,
  float16ToFloat32Array,
  float32ToFloat16Array,
  float32ToFloat16Bits,
} from '../../../src/convert/dtypes';

/** The float32 whose bits are `bits`. */
function f32(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0]!;
}

describe('convert/dtypes', () => {
  describe('fp16 → fp32', () => {
    it('widens normals, subnormals, zeros, infinities and NaN exactly', () => {
      assert.equal(float16BitsToFloat32(0x3c00), 1);
      assert.equal(float16BitsToFloat32(0xc000), -2);
      assert.equal(float16BitsToFloat32(0x7bff), 65504);
      assert.equal(float16BitsToFloat32(0x0400), 2 ** -14);
      assert.equal(float16BitsToFloat32(0x0001), 2 ** -24);
      assert.equal(float16BitsToFloat32(0x03ff), 1023 * 2 ** -24);
      assert.ok(Object.is(float16BitsToFloat32(0x8000), -0));
      assert.equal(float16BitsToFloat32(0x7c00), Infinity);
      assert.equal(float16BitsToFloat32(0xfc00), -Infinity);
      assert.ok(Number.isNaN(float16BitsToFloat32(0x7e00)));
      assert.ok(Number.isNaN(float16BitsToFloat32(0xfc01)));
    });

    it('round-trips every fp16 pattern through fp32 and back (NaN stays NaN)', () => {
      const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
      const widened = float16ToFloat32Array(all);
      const back = float32ToFloat16Array(widened);
      for (let b = 0; b < 65536; b++) {
        const isNaN = (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0;
        if (isNaN) assert.ok(Number.isNaN(widened[b]) && (back[b]! & 0x7c00) === 0x7c00 && (back[b]! & 0x3ff) !== 0, `NaN 0x${b.toString(16)}`);
        else assert.equal(back[b], b, `0x${b.toString(16)}`);
      }
    });
  });

  describe('bf16 → fp32', () => {
    it('is the top half of the fp32 bits, specials included', () => {
      const bits = new Uint16Array([0x3f80, 0xc040, 0x7f80, 0xff80, 0x7fc0, 0x8000, 0x0001, 0x7f7f]);
      const out = bfloat16ToFloat32Array(bits);
      assert.deepEqual([...out.slice(0, 4)], [1, -3, Infinity, -Infinity]);
      assert.ok(Number.isNaN(out[4]));
      assert.ok(Object.is(out[5], -0));
      assert.equal(out[6], f32(0x00010000)); // a bf16 subnormal is a fp32 subnormal
      assert.equal(out[7], f32(0x7f7f0000)); // the largest finite bf16
    });

    it('widens in place from the upper half of the output buffer', () => {
      const values = [1.5, -2, 3.25, 2 ** 100, -0, 7]; // each exact in bf16
      const count = values.length;
      const out = new Float32Array(count);
      const bits = new Uint16Array(out.buffer, count * 2, count);
      bits.set(new Uint32Array(new Float32Array(values).buffer).map((w) => w >>> 16));
      bfloat16ToFloat32Array(bits, out);
      assert.deepEqual([...out], values);
    });
  });

  describe('fp32 → fp16', () => {
    it('rounds ties to even between normals', () => {
      assert.equal(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00); // halfway between 1 and the next: even is 1
      assert.equal(float32ToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // halfway, even is above
      assert.equal(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20), 0x3c01); // just above halfway
      assert.equal(float32ToFloat16Bits(-(1 + 2 ** -11)), 0xbc00);
    });

    it('rounds every midpoint between adjacent finite fp16 values to the even one, and off-midpoints to the nearer', () => {
      for (let b = 0; b < 0x7bff; b++) {
        const lo = float16BitsToFloat32(b);
        const hi = float16BitsToFloat32(b + 1);
        const mid = (lo + hi) / 2; // exact in fp32: 12 significant bits at most
        assert.equal(float32ToFloat16Bits(mid), b & 1 ? b + 1 : b, `mid of 0x${b.toString(16)}`);
        assert.equal(float32ToFloat16Bits(Math.fround(mid + (hi - lo) / 1024)), b + 1);
        assert.equal(float32ToFloat16Bits(Math.fround(mid - (hi - lo) / 1024)), b);
      }
    });

    it('handles subnormals: the smallest, ties at the bottom, the carry into the smallest normal', () => {
      assert.equal(float32ToFloat16Bits(2 ** -24), 0x0001);
      assert.equal(float32ToFloat16Bits(2 ** -25), 0x0000); // a tie with zero: even is zero
      assert.equal(float32ToFloat16Bits(2 ** -25 * 1.0001), 0x0001);
      assert.equal(float32ToFloat16Bits(3 * 2 ** -25), 0x0002); // between 1 and 2 ulps: even is 2
      assert.equal(float32ToFloat16Bits(2 ** -26), 0x0000);
      assert.equal(float32ToFloat16Bits(f32(0x00000001)), 0x0000); // the smallest fp32 subnormal
      assert.equal(float32ToFloat16Bits(1023 * 2 ** -24), 0x03ff);
      assert.equal(float32ToFloat16Bits(1023.5 * 2 ** -24), 0x0400); // tie, even is the smallest normal
      assert.ok(Object.is(float16BitsToFloat32(float32ToFloat16Bits(-(2 ** -30))), -0));
    });

    it('overflows to infinity from 65520 up and keeps 65504 below it', () => {
      assert.equal(float32ToFloat16Bits(65504), 0x7bff);
      assert.equal(float32ToFloat16Bits(65519.99), 0x7bff);
      assert.equal(float32ToFloat16Bits(65520), 0x7c00); // the tie above the largest finite rounds to inf
      assert.equal(float32ToFloat16Bits(65536), 0x7c00);
      assert.equal(float32ToFloat16Bits(1e30), 0x7c00);
      assert.equal(float32ToFloat16Bits(-1e30), 0xfc00);
      assert.equal(float32ToFloat16Bits(Infinity), 0x7c00);
      assert.equal(float32ToFloat16Bits(-Infinity), 0xfc00);
    });

    it('keeps NaN a NaN, and zero signs', () => {
      const nan = float32ToFloat16Bits(NaN);
      assert.equal(nan & 0x7c00, 0x7c00);
      assert.notEqual(nan & 0x3ff, 0);
      assert.equal(float32ToFloat16Bits(f32(0x7f800001)) & 0x3ff, 0x200); // a payload only in low bits stays NaN
      assert.equal(float32ToFloat16Bits(0), 0x0000);
      assert.equal(float32ToFloat16Bits(-0), 0x8000);
    });
  });
});
