/**
 * The safetensors header: its JSON parsed and every promise in it checked against the file it
 * came from (dtypes the converter reads, whole non-negative dimensions, offsets that are integers,
 * match shape × dtype size, stay inside the data and never overlap, names that appear once).
 * Pure: the reader (safetensors.ts) hands it the header bytes and the data size.
 */
import { DTYPE_BYTES, isSourceDtype, OTHER_SAFETENSORS_DTYPES, SOURCE_DTYPES } from './dtypes';
import { ConvertError } from './errors';
import { isPlainObject } from './files';
import type { TensorInfo } from './tensors';

/** One tensor's place in a safetensors file. */
export interface SafetensorsEntry extends TensorInfo {
  /** Byte offset of its first byte in the file (header included). */
  readonly offset: number;
  readonly byteLength: number;
}

export interface SafetensorsHeader {
  /** The optional `__metadata__` strings (e.g. `format: pt`). */
  readonly metadata: ReadonlyMap<string, string>;
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
}

const METADATA_KEY = '__metadata__';

/**
 * Parses and checks a header. `headerBytes` is the JSON, `dataStart` the file offset of the data
 * (8 + the header's length), `fileSize` the file's size; `file` names the file in every refusal.
 */
export function parseSafetensorsHeader(file: string, headerBytes: Uint8Array, dataStart: number, fileSize: number): SafetensorsHeader {
  const fail = (problem: string): never => {
    throw new ConvertError(`${file}: ${problem}`);
  };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    return fail('safetensors header is not valid UTF-8');
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    return fail(`safetensors header is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(root)) return fail('safetensors header is not a JSON object');
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) fail(`safetensors header names ${JSON.stringify(duplicate)} twice`);

  const metadata = new Map<string, string>();
  const tensors = new Map<string, SafetensorsEntry>();
  const dataBytes = fileSize - dataStart;
  for (const [name, raw] of Object.entries(root)) {
    if (name === METADATA_KEY) {
      if (!isPlainObject(raw)) fail(`safetensors header's ${METADATA_KEY} is not an object of strings`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`safetensors header's ${METADATA_KEY} "${k}" is not a string`);
        metadata.set(k, v as string);
      }
      continue;
    }
    tensors.set(name, parseEntry(name, raw, dataStart, dataBytes, (p) => fail(`tensor ${JSON.stringify(name)} ${p}`)));
  }
  checkNoOverlap(tensors, dataStart, fail);
  return { metadata, tensors };
}

function parseEntry(name: string, raw: unknown, dataStart: number, dataBytes: number, fail: (p: string) => never): SafetensorsEntry {
  if (!isPlainObject(raw)) return fail('is not an object with dtype, shape and data_offsets');
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string') return fail('has no string "dtype"');
  if (!isSourceDtype(dtype)) {
    const kind = OTHER_SAFETENSORS_DTYPES.has(dtype) ? 'unsupported' : 'unknown';
    return fail(`has ${kind} dtype ${JSON.stringify(dtype)} (the converter reads ${SOURCE_DTYPES.join(', ')})`);
  }
  if (!Array.isArray(shape)) return fail('has no "shape" array');
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) fail(`has dimension ${JSON.stringify(d)} in its shape (dimensions are whole numbers ≥ 0)`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2) return fail('has no "data_offsets" pair [begin, end]');
  const [begin, end] = offsets as unknown[];
  if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || (begin as number) < 0 || (end as number) < 0) {
    return fail(`has data_offsets ${JSON.stringify(offsets)} that are not whole numbers ≥ 0`);
  }
  const [b, e] = [begin as number, end as number];
  if (e < b) return fail(`has data_offsets [${b}, ${e}] that end before they begin`);
  if (e > dataBytes) {
    return fail(`ends at data byte ${e}, but the file holds only ${dataBytes} bytes of data: the file is truncated`);
  }
  const count = (shape as number[]).reduce((n, d) => n * d, 1);
  const expected = count * DTYPE_BYTES[dtype];
  if (expected !== e - b) {
    return fail(`has ${e - b} bytes of data, but shape [${shape.join(', ')}] of ${dtype} needs ${Number.isSafeInteger(expected) ? expected : 'more than 2^53'}`);
  }
  return Object.freeze({ name, dtype, shape: Object.freeze([...(shape as number[])]), offset: dataStart + b, byteLength: e - b });
}

/** Refuses two tensors whose bytes share any byte (empty tensors hold none and never overlap). */
function checkNoOverlap(tensors: ReadonlyMap<string, SafetensorsEntry>, dataStart: number, fail: (p: string) => never): void {
  const sorted = [...tensors.values()].filter((t) => t.byteLength > 0).sort((a, b) => a.offset - b.offset);
  for (const [i, cur] of sorted.entries()) {
    const prev = sorted[i - 1];
    if (prev !== undefined && cur.offset < prev.offset + prev.byteLength) {
      const range = (t: SafetensorsEntry) => `[${t.offset - dataStart}, ${t.offset - dataStart + t.byteLength}]`;
      fail(`tensors ${JSON.stringify(prev.name)} ${range(prev)} and ${JSON.stringify(cur.name)} ${range(cur)} overlap`);
    }
  }
}

/**
 * The first top-level key that appears twice in `text`, which JSON.parse would silently collapse
 * to its last value. `text` must already parse as a JSON object.
 */
function firstDuplicateKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (depth !== 1) continue;
      let j = i + 1;
      while (text[j] === ' ' || text[j] === '\t' || text[j] === '\n' || text[j] === '\r') j++;
      if (text[j] !== ':') continue; // a string value, not a key
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      if (seen.has(key)) return key;
      seen.add(key);
    }
  }
  return undefined;
}
