/**
 * The graph's weights as ONNX external data in one file beside it. Planning and writing are two
 * steps: the layout gives every tensor its aligned offset from names and shapes alone (so the
 * graph, the expected size and the disk-space check exist before a byte is read), and the writer
 * then streams the tensors from the checkpoint one at a time, in layout order, so memory holds one
 * tensor (and its fp16 or quantized copy) at most. A quantized matrix is two or three initializers
 * (codes, scales, and for MatMulNBits zero points) planned side by side and encoded from one read of
 * its checkpoint tensor.
 */
import * as fs from 'node:fs';
import { float32ToFloat16Array } from './dtypes';
import { ConvertError } from './errors';
import { DataType, ExternalPlacement, elementBytes } from './onnx';
import { QuantBits, QuantizedMatrix, quantizeMatrix } from './quantize';
import { ChannelQuantizedMatrix, quantizeChannels } from './quantizeChannel';
import type { WeightStorage } from './storages';
import type { TensorSource } from './tensors';

export { WEIGHT_STORAGES, weightsForDevice, type WeightStorage } from './storages';

/** The code width of a MatMulNBits storage; undefined for the others (int8-channel included). */
export function storageBits(storage: WeightStorage): QuantBits | undefined {
  return storage === 'int8' ? 8 : storage === 'int4' ? 4 : undefined;
}

/** Which part of a quantized matrix an initializer holds. */
export type QuantPart = 'data' | 'scales' | 'zeroPoints';

/** A planned tensor that is one part of a quantized checkpoint matrix [n, k]. */
export interface QuantizedOrigin {
  /** The checkpoint tensor it is encoded from. */
  source: string;
  part: QuantPart;
  n: number;
  k: number;
  bits: QuantBits;
  /** Symmetric int8 per output channel for DynamicQuantizeMatMul (bits 8); absent: MatMulNBits blocks. */
  perChannel?: true;
}

/**
 * Large tensors start on a 64 KiB boundary, the coarsest mapping granularity (Windows'), so
 * onnxruntime may map them instead of copying; small ones on 64 bytes, to waste little.
 */
const LARGE_ALIGN = 65536;
const SMALL_ALIGN = 64;

export interface PlannedTensor extends ExternalPlacement {
  /** The checkpoint tensor, also the initializer's name in the graph. */
  name: string;
  dims: number[];
  type: DataType;
  /** Set when the tensor is part of a quantized matrix (its name is then not the checkpoint's). */
  quantized?: QuantizedOrigin;
}

export class WeightsLayout {
  readonly tensors: PlannedTensor[] = [];
  private end = 0;

  constructor(readonly location: string) {}

  /**
   * Places one tensor after the previous ones. A tensor already placed keeps its place, so that
   * graphs sharing the file (the cached mode's context and denoise graphs) read the same bytes.
   */
  add(name: string, dims: readonly number[], type: DataType, quantized?: QuantizedOrigin): PlannedTensor {
    const known = this.tensors.find((t) => t.name === name);
    if (known) {
      if (known.type !== type || known.dims.join() !== dims.join()) throw new Error(`weight ${name} placed twice with different shapes or types`);
      return known;
    }
    const length = dims.reduce((a, b) => a * b, 1) * elementBytes(type);
    const align = length >= LARGE_ALIGN ? LARGE_ALIGN : SMALL_ALIGN;
    const offset = Math.ceil(this.end / align) * align;
    const planned: PlannedTensor = { name, dims: [...dims], type, location: this.location, offset, length, ...(quantized ? { quantized } : {}) };
    this.tensors.push(planned);
    this.end = offset + length;
    return planned;
  }

  /** The file's size once written. */
  get bytes(): number {
    return this.end;
  }
}

export interface WriteProgress {
  tensorsDone: number;
  tensorsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface WriteOptions {
  signal?: AbortSignal;
  onProgress?: (progress: WriteProgress) => void;
}

/** Thrown (as a ConvertError) when the signal aborts a conversion. */
export const CANCELLED = 'cancelled';

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ConvertError(CANCELLED);
}

/**
 * Writes every planned tensor from `source` into `file`. Between tensors it yields to the event
 * loop, so a signal (Ctrl-C) is seen within one tensor's time.
 */
export async function writeWeights(file: string, layout: WeightsLayout, source: TensorSource, options: WriteOptions = {}): Promise<void> {
  const fd = fs.openSync(file, 'w');
  try {
    let bytesDone = 0;
    // Progress counts the tensors' bytes, not the alignment padding between them.
    const bytesTotal = layout.tensors.reduce((n, t) => n + t.length, 0);
    // A quantized matrix's parts follow each other: it is read and encoded once, for the first.
    let encoded: { source: string; matrix: QuantizedMatrix | ChannelQuantizedMatrix } | undefined;
    for (const [i, t] of layout.tensors.entries()) {
      throwIfAborted(options.signal);
      let stored: ArrayBufferView;
      if (t.quantized) {
        const q = t.quantized;
        if (encoded?.source !== q.source) encoded = { source: q.source, matrix: encode(read(source, q.source, q.n * q.k), q) };
        stored = quantizedPart(encoded.matrix, q.part);
      } else {
        const values = read(source, t.name, t.dims.reduce((a, b) => a * b, 1));
        stored = t.type === DataType.FLOAT16 ? toFloat16(t.name, values) : values;
      }
      if (stored.byteLength !== t.length) throw new ConvertError(`${t.name}: encoded ${stored.byteLength} bytes, planned ${t.length}`);
      writeAll(fd, new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength), t.offset);
      bytesDone += t.length;
      options.onProgress?.({ tensorsDone: i + 1, tensorsTotal: layout.tensors.length, bytesDone, bytesTotal });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    throwIfAborted(options.signal);
    // Padding after the last tensor is not needed: every length ends inside the file.
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function read(source: TensorSource, name: string, expected: number): Float32Array {
  const values = source.readFloat32(name);
  if (values.length !== expected) throw new ConvertError(`${name}: read ${values.length} values, expected ${expected}`);
  return values;
}

function encode(w: Float32Array, q: QuantizedOrigin): QuantizedMatrix | ChannelQuantizedMatrix {
  return q.perChannel ? quantizeChannels(w, q.n, q.k) : quantizeMatrix(w, q.n, q.k, q.bits);
}

function quantizedPart(matrix: QuantizedMatrix | ChannelQuantizedMatrix, part: QuantPart): ArrayBufferView {
  if (part === 'zeroPoints') {
    if (!('zeroPoints' in matrix) || !matrix.zeroPoints) throw new Error('a planned zero-point tensor for symmetric codes');
    return matrix.zeroPoints;
  }
  return matrix[part];
}

/** fp16 bit patterns of a tensor; a finite value beyond fp16's range (±65504) is refused, not turned into infinity. */
function toFloat16(name: string, values: Float32Array): Uint16Array {
  const bits = float32ToFloat16Array(values);
  for (let i = 0; i < bits.length; i++) {
    if ((bits[i]! & 0x7c00) === 0x7c00 && Number.isFinite(values[i]!)) {
      throw new ConvertError(`${name} holds ${values[i]}, beyond fp16's range: convert with --weights fp32`);
    }
  }
  return bits;
}

/** One write call takes at most 2 GiB − 1 bytes; an embedding table can be larger. */
const WRITE_CHUNK = 1 << 30;

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, Math.min(WRITE_CHUNK, bytes.length - done), position + done);
}
