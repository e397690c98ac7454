/**
 * Test helper: writes safetensors files and Hugging Face checkpoint folders from typed arrays, with
 * options to corrupt them, for the converter's tests (any of them may import it).
 *
 *   writeSafetensors(file, { 'w': { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
 *   writeCheckpointFolder(dir, { weights: { 'model.safetensors': { ... } } });
 *
 * Tensors are laid out one after another in the order given. A tensor without `data` is left as a
 * hole of the size its shape needs: the file is extended with ftruncate, so a header describing
 * gigabytes costs no disk (sparse file). expectRefusal checks the converter's one-line refusals.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { float32ToFloat16Array } from '../../../src/convert/dtypes';
import { ConvertError } from '../../../src/convert/errors';

export interface TestTensor {
  /** Any string, so that tests can write dtypes the reader refuses. */
  dtype: string;
  shape: number[];
  /** The bytes as stored: a Float32Array for F32, a Uint16Array of bit patterns for F16 / BF16. */
  data?: ArrayBufferView;
}

export interface WriteOptions {
  metadata?: Record<string, string>;
  /** Changes the header object before it is written (bad offsets, shapes, dtypes, extra entries). */
  editHeader?: (header: Record<string, Record<string, unknown>>) => void;
  /** Written as the header instead of the JSON of the tensors (invalid JSON, duplicate names). */
  headerText?: string;
  /** Written as the 8-byte header length instead of the header's own. */
  headerLength?: bigint;
  /** Bytes cut off the end of the file. */
  truncateBy?: number;
}

const ELEMENT_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1 };

/** Writes one safetensors file; returns its size in bytes. */
export function writeSafetensors(file: string, tensors: Record<string, TestTensor>, options: WriteOptions = {}): number {
  const header: Record<string, Record<string, unknown>> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  const placed: { begin: number; data?: ArrayBufferView }[] = [];
  let end = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const size = t.data ? t.data.byteLength : t.shape.reduce((n, d) => n * d, 1) * (ELEMENT_BYTES[t.dtype] ?? 1);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [end, end + size] };
    placed.push({ begin: end, data: t.data });
    end += size;
  }
  options.editHeader?.(header);
  const json = Buffer.from(options.headerText ?? JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(options.headerLength ?? BigInt(json.length));
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, length, 0, 8, 0);
    fs.writeSync(fd, json, 0, json.length, 8);
    const dataStart = 8 + json.length;
    for (const p of placed) {
      if (p.data) fs.writeSync(fd, new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength), 0, p.data.byteLength, dataStart + p.begin);
    }
    const total = dataStart + end - (options.truncateBy ?? 0);
    fs.ftruncateSync(fd, total);
    return total;
  } finally {
    fs.closeSync(fd);
  }
}

/** BF16 bit patterns of values that bf16 holds exactly (the top half of each fp32). */
export function bf16(values: readonly number[]): Uint16Array {
  const words = new Uint32Array(new Float32Array(values).buffer);
  return Uint16Array.from(words, (w) => w >>> 16);
}

/** F16 bit patterns of values, rounded to nearest even. */
export function f16(values: readonly number[]): Uint16Array {
  return float32ToFloat16Array(new Float32Array(values));
}

export interface TestCheckpoint {
  /** config.json (default: a Qwen2-shaped stub). */
  config?: Record<string, unknown>;
  /** Weight file name → its tensors. */
  weights: Record<string, Record<string, TestTensor>>;
  /** Write model.safetensors.index.json mapping each tensor to its file (default: more than one file). */
  index?: boolean;
  /** Write tokenizer.json (default: true; the content is a stub). */
  tokenizer?: boolean;
}

/** Writes a checkpoint folder: config.json, tokenizer.json, the weight files and their index. */
export function writeCheckpointFolder(dir: string, checkpoint: TestCheckpoint): void {
  fs.mkdirSync(dir, { recursive: true });
  const config = checkpoint.config ?? { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2' };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  if (checkpoint.tokenizer ?? true) fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": {}}');
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  for (const [file, tensors] of Object.entries(checkpoint.weights)) {
    totalSize += writeSafetensors(path.join(dir, file), tensors);
    for (const name of Object.keys(tensors)) weightMap[name] = file;
  }
  if (checkpoint.index ?? Object.keys(checkpoint.weights).length > 1) {
    const index = { metadata: { total_size: totalSize }, weight_map: weightMap };
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
  }
}

/** Options that change tensor `name`'s entry in the header before it is written; the tensor must be in the file. */
export function editEntry(name: string, edit: (entry: Record<string, unknown>) => void): WriteOptions {
  return {
    editHeader: (header) => {
      const entry = header[name];
      if (!entry) throw new Error(`the test file has no tensor "${name}" to edit`);
      edit(entry);
    },
  };
}

/** Asserts a one-line ConvertError that starts with `file` (the path it names) and matches `reason`. */
export function expectRefusal(fn: () => unknown, file: string, reason: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConvertError, `expected ConvertError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`${file}: `), `names the file: ${e.message}`);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    assert.match(e.message, reason);
    return true;
  });
}
