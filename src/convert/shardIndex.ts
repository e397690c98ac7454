/**
 * `model.safetensors.index.json`, the map of a sharded checkpoint: which file holds each tensor.
 * The file names in it come from the network, so each must be a plain path inside the checkpoint
 * folder (no absolute path, no `..`); the shards themselves are opened by checkpoint.ts.
 */
import * as path from 'node:path';
import { ConvertError } from './errors';
import { isPlainObject, readJsonObject } from './files';

export const SHARD_INDEX_FILE = 'model.safetensors.index.json';

export interface ShardIndex {
  /** Tensor name → the shard's file name as the index writes it (relative to the folder). */
  readonly weightMap: ReadonlyMap<string, string>;
  /** The distinct shard file names, in the order first named. */
  readonly shards: readonly string[];
}

/** Reads and checks `dir`'s shard index. */
export function readShardIndex(dir: string): ShardIndex {
  const file = path.join(dir, SHARD_INDEX_FILE);
  const root = readJsonObject(file);
  const map = root.weight_map;
  if (!isPlainObject(map)) throw new ConvertError(`${file}: no "weight_map" object (tensor name → shard file)`);
  const weightMap = new Map<string, string>();
  const shards: string[] = [];
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== 'string') throw new ConvertError(`${file}: tensor ${JSON.stringify(tensor)} maps to ${JSON.stringify(shard)}, not a file name`);
    const problem = unsafeShardName(dir, shard);
    if (problem) throw new ConvertError(`${file}: shard ${JSON.stringify(shard)} ${problem}`);
    if (!shards.includes(shard)) shards.push(shard);
    weightMap.set(tensor, shard);
  }
  if (weightMap.size === 0) throw new ConvertError(`${file}: "weight_map" lists no tensors`);
  return { weightMap, shards };
}

/** Why `name` may not be opened as a shard of `dir`, or undefined when it is a plain path inside it. */
function unsafeShardName(dir: string, name: string): string | undefined {
  if (name === '' || name.includes('\0')) return 'is not a file name';
  // Either platform's absolute forms, whichever platform converts: the index was written elsewhere.
  if (path.posix.isAbsolute(name) || path.win32.isAbsolute(name)) return 'is an absolute path; shards must be inside the checkpoint folder';
  if (name.split(/[\\/]/).includes('..')) return 'climbs out of the checkpoint folder (..); shards must be inside it';
  const relative = path.relative(path.resolve(dir), path.resolve(dir, name));
  if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return 'is not a file inside the checkpoint folder';
  return undefined;
}
