/**
 * Blockwise round-to-nearest quantization of a Linear weight W [N, K] into the layout of
 * onnxruntime's contrib operator com.microsoft.MatMulNBits (onnxruntime docs/ContribOperators.md):
 * each row is cut along K into blocks of QUANT_BLOCK values, each block stores unsigned `bits`-bit
 * codes q with one fp32 scale and one zero point zp, and the operator computes with
 * (q − zp) · scale. Asymmetric: a block's range [min(0, lo), max(0, hi)] is spread over every
 * code, so zero is exact (the padding of a short last block dequantizes to 0) and a block whose
 * values lean to one side keeps all its levels (symmetric codes measured worse: models/README.md).
 * Pure functions over typed arrays, one matrix at a time.
 */

export type QuantBits = 4 | 8;

/** Values per block along K: the block size MatMulNBits' fast CPU kernels are built for. */
export const QUANT_BLOCK = 32;

/** The shapes of one quantized matrix's three initializers. */
export interface QuantizedShapes {
  /** B: uint8 [N, blocks per row, bytes per block]. */
  data: [number, number, number];
  /** scales: float [N · blocks per row]. */
  scales: [number];
  /** zero_points: uint8 [N · bytes of one row's packed zero points]. */
  zeroPoints: [number];
}

export interface QuantizedMatrix {
  data: Uint8Array;
  scales: Float32Array;
  /** Absent for symmetric codes: the operator then takes 2^(bits−1). */
  zeroPoints?: Uint8Array;
}

/** asymmetric: zero points per block; symmetric: the codes centred on 2^(bits−1), no zero points. */
export type QuantScheme = 'asymmetric' | 'symmetric';

/** Blocks per row: K rounded up to whole blocks (the last one padded). */
export function blocksPerRow(k: number): number {
  return Math.ceil(k / QUANT_BLOCK);
}

export function quantizedShapes(n: number, k: number, bits: QuantBits): QuantizedShapes {
  const blocks = blocksPerRow(k);
  return { data: [n, blocks, (QUANT_BLOCK * bits) / 8], scales: [n * blocks], zeroPoints: [n * zeroPointBytes(blocks, bits)] };
}

/** One row's packed zero points: two 4-bit ones to a byte (low nibble first), or one byte each. */
function zeroPointBytes(blocks: number, bits: QuantBits): number {
  return Math.ceil((blocks * bits) / 8);
}

/** Quantizes W [n, k] (row-major, a Hugging Face Linear's [out, in]). */
export function quantizeMatrix(w: Float32Array, n: number, k: number, bits: QuantBits, scheme: QuantScheme = 'asymmetric'): QuantizedMatrix {
  if (w.length !== n * k) throw new Error(`quantize: ${w.length} values for [${n}, ${k}]`);
  const shapes = quantizedShapes(n, k, bits);
  const blocks = shapes.data[1];
  const blob = shapes.data[2];
  const rowZpBytes = zeroPointBytes(blocks, bits);
  const data = new Uint8Array(n * blocks * blob);
  const scales = new Float32Array(n * blocks);
  const zeroPoints = new Uint8Array(n * rowZpBytes);
  const levels = (1 << bits) - 1;
  const codes = new Uint8Array(QUANT_BLOCK);
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < blocks; b++) {
      const start = row * k + b * QUANT_BLOCK;
      const count = Math.min(QUANT_BLOCK, k - b * QUANT_BLOCK);
      let lo = 0;
      let hi = 0;
      for (let i = 0; i < count; i++) {
        const v = w[start + i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      // Math.fround: the operator reads the scale as fp32, so codes are chosen against that value.
      // Symmetric: the value of largest magnitude takes the extreme code −2^(bits−1), as MLAS does.
      const extreme = -lo > hi ? lo : hi;
      const scale = Math.fround(scheme === 'symmetric' ? extreme / -(1 << (bits - 1)) : (hi - lo) / levels);
      const zp = scheme === 'symmetric' ? 1 << (bits - 1) : scale === 0 ? 0 : clamp(Math.round(-lo / scale), levels);
      for (let i = 0; i < count; i++) codes[i] = scale === 0 ? zp : clamp(Math.round(w[start + i]! / scale) + zp, levels);
      codes.fill(zp, count); // padding past K dequantizes to exactly 0
      scales[row * blocks + b] = scale;
      packCodes(codes, bits, data, (row * blocks + b) * blob);
      const zpAt = row * rowZpBytes;
      if (scheme === 'symmetric') continue;
      if (bits === 8) zeroPoints[zpAt + b] = zp;
      else zeroPoints[zpAt + (b >> 1)]! |= zp << ((b & 1) * 4);
    }
  }
  return { data, scales, zeroPoints: scheme === 'symmetric' ? undefined : zeroPoints };
}

function clamp(q: number, levels: number): number {
  return q < 0 ? 0 : q > levels ? levels : q;
}

/** 8-bit codes one to a byte; 4-bit codes two to a byte, the even position in the low nibble. */
function packCodes(codes: Uint8Array, bits: QuantBits, out: Uint8Array, at: number): void {
  if (bits === 8) {
    out.set(codes, at);
    return;
  }
  for (let i = 0; i < QUANT_BLOCK; i += 2) out[at + i / 2] = codes[i]! | (codes[i + 1]! << 4);
}

/** W as MatMulNBits sees it: (q − zp) · scale for the first k values of each row. */
export function dequantizeMatrix(q: QuantizedMatrix, n: number, k: number, bits: QuantBits): Float32Array {
  const blocks = blocksPerRow(k);
  const blob = (QUANT_BLOCK * bits) / 8;
  const rowZpBytes = zeroPointBytes(blocks, bits);
  const out = new Float32Array(n * k);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < k; col++) {
      const b = Math.floor(col / QUANT_BLOCK);
      const i = col % QUANT_BLOCK;
      const byte = q.data[(row * blocks + b) * blob + (bits === 8 ? i : i >> 1)]!;
      const code = bits === 8 ? byte : (byte >> ((i & 1) * 4)) & 15;
      const zpByte = q.zeroPoints?.[row * rowZpBytes + (bits === 8 ? b : b >> 1)];
      const zp = zpByte === undefined ? 1 << (bits - 1) : bits === 8 ? zpByte : (zpByte >> ((b & 1) * 4)) & 15;
      out[row * k + col] = Math.fround((code - zp) * q.scales[row * blocks + b]!);
    }
  }
  return out;
}
