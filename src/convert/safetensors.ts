/**
 * A streaming reader of one safetensors file: the header is read with a bounded read and checked
 * (safetensorsHeader.ts), and each tensor's bytes are read on demand with positioned reads at its
 * offset, so converting a model never holds more than the tensor in hand. The file stays open
 * (one descriptor) until close().
 *
 * Format: 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the data, with each
 * tensor's `data_offsets` counted from the first byte after the header.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { bfloat16ToFloat32Array, DTYPE_BYTES, float16ToFloat32Array } from './dtypes';
import { ConvertError } from './errors';
import { describeFsError, readFully } from './files';
import { parseSafetensorsHeader, type SafetensorsEntry } from './safetensorsHeader';
import type { TensorSource } from './tensors';

export type { SafetensorsEntry } from './safetensorsHeader';

/** The largest header read: real ones are well under 1 MiB, even for thousands of tensors. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** The most values one tensor may have: a typed array's limit in Node 20 is 2^32 − 1 elements. */
export const MAX_TENSOR_ELEMENTS = 2 ** 32 - 1;

export class SafetensorsFile implements TensorSource {
  private fd: number | undefined;

  private constructor(
    /** The path it was opened with; every refusal names it. */
    readonly file: string,
    fd: number,
    /** The file's size in bytes. */
    readonly size: number,
    /** The header's optional `__metadata__` strings. */
    readonly metadata: ReadonlyMap<string, string>,
    readonly tensors: ReadonlyMap<string, SafetensorsEntry>,
  ) {
    this.fd = fd;
  }

  /** Opens `file` and checks its header; a ConvertError names the file and the problem. */
  static open(file: string): SafetensorsFile {
    // Safetensors data is little-endian and read straight into typed arrays, which use the host's order.
    if (os.endianness() !== 'LE') throw new ConvertError(`${file}: safetensors can only be read on a little-endian machine`);
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      throw new ConvertError(`${file}: cannot open: ${describeFsError(err)}`);
    }
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) throw new ConvertError(`${file}: not a file`);
      const size = stat.size;
      if (size < 8) throw new ConvertError(`${file}: the file is truncated: ${size} bytes, too short for a safetensors header`);
      const lengthBytes = new Uint8Array(8);
      readFully(fd, file, lengthBytes, 0, () => 'the file is truncated');
      const headerLength = Buffer.from(lengthBytes).readBigUInt64LE(0);
      if (headerLength > BigInt(MAX_HEADER_BYTES)) {
        throw new ConvertError(`${file}: safetensors header length ${headerLength} is over the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
      }
      const n = Number(headerLength);
      if (8 + n > size) throw new ConvertError(`${file}: the file is truncated: its header needs ${n} bytes, the file has ${size - 8} after the length`);
      const headerBytes = new Uint8Array(n);
      readFully(fd, file, headerBytes, 8, () => 'the file is truncated');
      const header = parseSafetensorsHeader(file, headerBytes, 8 + n, size);
      return new SafetensorsFile(file, fd, size, header.metadata, header.tensors);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** One tensor's raw little-endian bytes, read from disk now (nothing else of the file is read). */
  readBytes(name: string): Buffer {
    const entry = this.entry(name);
    const bytes = Buffer.allocUnsafe(entry.byteLength);
    this.readInto(entry, bytes);
    return bytes;
  }

  /** One tensor's values as fp32, widened exactly from F16 or BF16. */
  readFloat32(name: string): Float32Array {
    const entry = this.entry(name);
    const count = entry.byteLength / DTYPE_BYTES[entry.dtype];
    if (count > MAX_TENSOR_ELEMENTS) {
      throw new ConvertError(`${this.file}: tensor "${name}" has ${count} values, more than the ${MAX_TENSOR_ELEMENTS} one array can hold`);
    }
    let out: Float32Array;
    try {
      out = new Float32Array(count);
    } catch {
      throw new ConvertError(`${this.file}: not enough memory to read tensor "${name}" as fp32 (${count * 4} bytes)`);
    }
    if (entry.dtype === 'F32') {
      this.readInto(entry, new Uint8Array(out.buffer));
      return out;
    }
    // A 2-byte tensor is read into the upper half of the output's own buffer and widened in
    // place from the front, so a 1 GB bf16 embedding needs its 2 GB fp32 result and nothing more.
    this.readInto(entry, new Uint8Array(out.buffer, count * 2, count * 2));
    const bits = new Uint16Array(out.buffer, count * 2, count);
    return entry.dtype === 'BF16' ? bfloat16ToFloat32Array(bits, out) : float16ToFloat32Array(bits, out);
  }

  /** Closes the file; later reads are refused. Closing twice does nothing. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    fs.closeSync(fd);
  }

  private entry(name: string): SafetensorsEntry {
    const entry = this.tensors.get(name);
    if (!entry) throw new ConvertError(`${this.file}: no tensor named ${JSON.stringify(name)}`);
    return entry;
  }

  private readInto(entry: SafetensorsEntry, target: Uint8Array): void {
    if (this.fd === undefined) throw new ConvertError(`${this.file}: read after the file was closed`);
    readFully(this.fd, this.file, target, entry.offset, () => `the file is truncated: tensor "${entry.name}" runs past its end (did it change while converting?)`);
  }
}
