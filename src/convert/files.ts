/**
 * Reading the checkpoint's files defensively: positioned reads that loop until the bytes are all
 * there, a size cap on every file read whole (JSON), and system errors turned into one line that
 * names the file. Checkpoints come from the network, so nothing here trusts a size or a parse.
 */
import * as fs from 'node:fs';
import { firstLineOf } from '../base/errorText';
import { ConvertError } from './errors';

/** The largest JSON file read whole (config, tokenizer config, shard index): real ones are < 1 MiB. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;

// One read(2) returns at most ~2 GiB on Linux; asking for 1 GiB at a time keeps every call well-formed.
const READ_CHUNK = 1 << 30;

/** A system error as a short phrase ("no such file", "permission denied", else its own message). */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a folder, not a file';
    case 'EMFILE': case 'ENFILE': return 'too many open files';
    default: return firstLineOf(err);
  }
}

/**
 * Fills `target` from `fd` starting at file byte `position`. A read that ends early means the file
 * is shorter than its header said (or shrank): `truncated` says so in the caller's words.
 */
export function readFully(fd: number, file: string, target: Uint8Array, position: number, truncated: () => string): void {
  let done = 0;
  while (done < target.length) {
    let n: number;
    try {
      n = fs.readSync(fd, target, done, Math.min(READ_CHUNK, target.length - done), position + done);
    } catch (err) {
      throw new ConvertError(`${file}: cannot read: ${describeFsError(err)}`);
    }
    if (n === 0) throw new ConvertError(`${file}: ${truncated()}`);
    done += n;
  }
}

/**
 * Reads a JSON file whose top level must be an object, refusing one over MAX_JSON_BYTES before
 * reading it. `undefined` when the file does not exist and `optional` is set.
 */
export function readJsonObject(file: string, optional: true): Record<string, unknown> | undefined;
export function readJsonObject(file: string, optional?: false): Record<string, unknown>;
export function readJsonObject(file: string, optional = false): Record<string, unknown> | undefined {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file, { throwIfNoEntry: false });
  } catch (err) {
    throw new ConvertError(`${file}: cannot read: ${describeFsError(err)}`);
  }
  if (!stat) {
    if (optional) return undefined;
    throw new ConvertError(`${file}: missing (a Hugging Face checkpoint folder has one)`);
  }
  if (!stat.isFile()) throw new ConvertError(`${file}: not a file`);
  if (stat.size > MAX_JSON_BYTES) throw new ConvertError(`${file}: ${stat.size} bytes, more than the ${MAX_JSON_BYTES} a JSON file here may have`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConvertError(`${file}: cannot read: ${describeFsError(err)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConvertError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(value)) throw new ConvertError(`${file}: expected a JSON object at the top level`);
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
