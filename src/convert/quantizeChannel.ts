/**
 * Symmetric int8 quantization of a Linear weight W [N, K] per output channel, in the layout of
 * onnxruntime's contrib operator com.microsoft.DynamicQuantizeMatMul (onnxruntime
 * docs/ContribOperators.md), which computes A [M, K] · B [K, N]: B holds signed codes q, one row per
 * input and one column per output (W transposed), and each output n has one fp32 scale, so the
 * operator's weight is q · scale[n] (no zero point). scale_n = max|W[n, :]| / 127 and codes are
 * round(W / scale_n) within [−127, 127] (−128 unused, so the range is symmetric); an all-zero row
 * gets scale 1 and codes 0. Pure functions over typed arrays, one matrix at a time.
 */

/** The largest code: the row's value of largest magnitude takes ±CHANNEL_LEVELS. */
const CHANNEL_LEVELS = 127;

/** Rows transposed together. */
const TRANSPOSE_BAND = 32;

/** The shapes of one quantized matrix's two initializers. */
export interface ChannelShapes {
  /** B: int8 [K, N]. */
  data: [number, number];
  /** b_scale: float [N]. */
  scales: [number];
}

export interface ChannelQuantizedMatrix {
  /** Codes, [K, N] row-major. */
  data: Int8Array;
  /** One scale per output channel, [N]. */
  scales: Float32Array;
}

export function channelShapes(n: number, k: number): ChannelShapes {
  return { data: [k, n], scales: [n] };
}

/** Quantizes W [n, k] (row-major, a Hugging Face Linear's [out, in]) into B [k, n] and scales [n]. */
export function quantizeChannels(w: Float32Array, n: number, k: number): ChannelQuantizedMatrix {
  if (w.length !== n * k) throw new Error(`quantize: ${w.length} values for [${n}, ${k}]`);
  const data = new Int8Array(k * n);
  const scales = new Float32Array(n);
  for (let row = 0; row < n; row++) {
    let max = 0;
    for (let i = row * k; i < (row + 1) * k; i++) max = Math.max(max, Math.abs(w[i]!));
    // Math.fround: the operator reads the scale as fp32, so codes are chosen against that value. A
    // row of zeros (or of values so small that the scale underflows fp32) takes scale 1 and codes 0.
    const scale = Math.fround(max / CHANNEL_LEVELS);
    scales[row] = scale === 0 ? 1 : scale;
  }
  // Transposed a band of rows at a time, so the band's reads stay in cache while B's rows are written.
  for (let band = 0; band < n; band += TRANSPOSE_BAND) {
    const end = Math.min(n, band + TRANSPOSE_BAND);
    for (let i = 0; i < k; i++) {
      for (let row = band; row < end; row++) {
        const q = Math.round(w[row * k + i]! / scales[row]!);
        data[i * n + row] = q < -CHANNEL_LEVELS ? -CHANNEL_LEVELS : q > CHANNEL_LEVELS ? CHANNEL_LEVELS : q;
      }
    }
  }
  return { data, scales };
}

/** W [n, k] as DynamicQuantizeMatMul sees it: code · scale of its output channel. */
export function dequantizeChannels(q: ChannelQuantizedMatrix, n: number, k: number): Float32Array {
  const out = new Float32Array(n * k);
  for (let row = 0; row < n; row++) {
    const scale = q.scales[row]!;
    for (let i = 0; i < k; i++) out[row * k + i] = Math.fround(q.data[i * n + row]! * scale);
  }
  return out;
}
