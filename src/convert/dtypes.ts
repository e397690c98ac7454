/**
 * The element types the converter reads and writes, and the exact conversions between them:
 * bf16 and fp16 widen to fp32 without loss, fp32 narrows to fp16 rounding to nearest even (what
 * the graph writer needs for fp16 output). Pure functions over little-endian typed arrays.
 */
import type { SourceDtype } from './tensors';

/** Bytes per element of each readable dtype (safetensors' names). */
export const DTYPE_BYTES: Readonly<Record<SourceDtype, number>> = { F32: 4, F16: 2, BF16: 2 };

/** The readable dtypes, in the order error messages list them. */
export const SOURCE_DTYPES: readonly SourceDtype[] = ['F32', 'F16', 'BF16'];

/**
 * Every other dtype the safetensors format defines: a header naming one of these is well-formed
 * but holds values the converter cannot use (quantised or integer weights), refused as such
 * rather than as "unknown".
 */
export const OTHER_SAFETENSORS_DTYPES: ReadonlySet<string> = new Set([
  'BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2',
  'I16', 'U16', 'I32', 'U32', 'F64', 'I64', 'U64', 'C64',
]);

export function isSourceDtype(dtype: string): dtype is SourceDtype {
  return Object.prototype.hasOwnProperty.call(DTYPE_BYTES, dtype);
}

// One scratch word to see a float32's bits (module-level: these functions never re-enter).
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** The fp32 value of one fp16 bit pattern, exactly (subnormals, ±0, ±inf and NaN included). */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

// fp16 has 65,536 patterns: a table makes widening a large tensor one lookup per element.
let f16Table: Float32Array | undefined;
function float16Table(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) f16Table[b] = float16BitsToFloat32(b);
  }
  return f16Table;
}

/** Widens fp16 bit patterns to fp32 into `out`; the in-place rule of bfloat16ToFloat32Array holds. */
export function float16ToFloat32Array(bits: Uint16Array, out: Float32Array = new Float32Array(bits.length)): Float32Array {
  const table = float16Table();
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}

/**
 * Widens bf16 bit patterns to fp32 (a bf16 is the top half of a fp32). `out` may share memory
 * with `bits` when each output element starts at or after its input (the reader widens in place
 * that way: bits in the upper half of the output's own buffer), since element i is read before
 * it is written and its write ends before element i + 1 starts.
 */
export function bfloat16ToFloat32Array(bits: Uint16Array, out: Float32Array = new Float32Array(bits.length)): Float32Array {
  const words = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < bits.length; i++) words[i] = bits[i]! << 16;
  return out;
}

/**
 * The fp16 bit pattern nearest to a float32 value, ties to even; magnitudes from 65520 up become
 * infinity, below 2^-25 (and a tie at 2^-25) become zero, NaN stays a quiet NaN with its sign.
 * A double is first rounded to float32, as the graph writer's values already are.
 */
export function float32ToFloat16Bits(value: number): number {
  scratchF32[0] = value;
  return f32BitsToF16Bits(scratchU32[0]!);
}

function f32BitsToF16Bits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant === 0 ? 0 : 0x200 | (mant >>> 13));
  const e = exp - 112; // the fp16 biased exponent (127 − 15)
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below 2^-25: rounds to zero
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const tie = 1 << (shift - 1);
    if (rest > tie || (rest === tie && half & 1)) half++; // a carry to 0x400 is the smallest normal
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // a carry into the exponent is right, up to inf
  return sign | half;
}

/** Narrows fp32 values to fp16 bit patterns (round to nearest even), into `out`. */
export function float32ToFloat16Array(values: Float32Array, out: Uint16Array = new Uint16Array(values.length)): Uint16Array {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < words.length; i++) out[i] = f32BitsToF16Bits(words[i]!);
  return out;
}
