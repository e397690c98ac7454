/**
 * A Hugging Face checkpoint folder opened for conversion: its JSON configs parsed (size-capped),
 * its tokenizer.json located, and its weights (one model.safetensors, or shards listed in
 * model.safetensors.index.json) opened as one TensorSource. Each weight file keeps one descriptor
 * open until close(); tensors are read one at a time, on demand.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConvertError } from './errors';
import { describeFsError, readJsonObject } from './files';
import { SafetensorsFile } from './safetensors';
import { readShardIndex, SHARD_INDEX_FILE } from './shardIndex';
import type { TensorInfo, TensorSource } from './tensors';

export type JsonObject = Readonly<Record<string, unknown>>;

export interface Checkpoint extends TensorSource {
  /** The folder, as given to openCheckpoint. */
  readonly dir: string;
  /** config.json. */
  readonly config: JsonObject;
  /** generation_config.json, when the folder has one. */
  readonly generationConfig: JsonObject | undefined;
  /** tokenizer_config.json, when the folder has one. */
  readonly tokenizerConfig: JsonObject | undefined;
  /** The path of tokenizer.json (checked to be a file, not read). */
  readonly tokenizerPath: string;
  /** Every tensor of the checkpoint (for a sharded one: every tensor its index maps). */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** The weight files' paths. */
  readonly weightFiles: readonly string[];
  /** The weight files' total size in bytes (for progress and the free-disk check). */
  readonly bytes: number;
  readFloat32(name: string): Float32Array;
  /** Closes every weight file; later reads are refused. Closing twice does nothing. */
  close(): void;
}

const SINGLE_FILE = 'model.safetensors';
// Weight files of other formats: a folder with only these gets told why, not "no weights".
const OTHER_WEIGHTS = /\.(bin|pt|pth|ckpt|h5|msgpack|gguf)$/;

/**
 * Opens `dir` for conversion. Throws a ConvertError naming the file and the problem for a missing
 * config.json or tokenizer.json, PyTorch-only weights, a bad index or shard; no file stays open then.
 */
export function openCheckpoint(dir: string): Checkpoint {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(dir, { throwIfNoEntry: false });
  } catch (err) {
    throw new ConvertError(`${dir}: cannot read: ${describeFsError(err)}`);
  }
  if (!stat) throw new ConvertError(`${dir}: no such folder`);
  if (!stat.isDirectory()) throw new ConvertError(`${dir}: not a folder (expected a Hugging Face checkpoint folder)`);

  const config = readJsonObject(path.join(dir, 'config.json'));
  const tokenizerPath = path.join(dir, 'tokenizer.json');
  if (!fs.statSync(tokenizerPath, { throwIfNoEntry: false })?.isFile()) {
    throw new ConvertError(`${dir}: no tokenizer.json (the converter needs the checkpoint's fast tokenizer file)`);
  }
  const generationConfig = readJsonObject(path.join(dir, 'generation_config.json'), true);
  const tokenizerConfig = readJsonObject(path.join(dir, 'tokenizer_config.json'), true);
  const weights = openWeights(dir);
  return new CheckpointFolder(dir, config, generationConfig, tokenizerConfig, tokenizerPath, weights);
}

interface OpenWeights {
  files: SafetensorsFile[];
  /** Tensor name → the file that holds it. */
  owners: Map<string, SafetensorsFile>;
}

/** Opens the weights as transformers finds them: model.safetensors first, else the index. */
function openWeights(dir: string): OpenWeights {
  if (fs.statSync(path.join(dir, SINGLE_FILE), { throwIfNoEntry: false })) {
    const file = SafetensorsFile.open(path.join(dir, SINGLE_FILE));
    return { files: [file], owners: new Map([...file.tensors.keys()].map((name) => [name, file])) };
  }
  if (fs.statSync(path.join(dir, SHARD_INDEX_FILE), { throwIfNoEntry: false })) return openShards(dir);
  throw new ConvertError(`${dir}: ${whyNoWeights(dir)}`);
}

/**
 * Opens every shard the index names and checks that each shard holds the tensors mapped to it.
 * A tensor a shard holds but the index does not map is ignored: the index says where each tensor
 * comes from, and nothing reads the others.
 */
function openShards(dir: string): OpenWeights {
  const indexFile = path.join(dir, SHARD_INDEX_FILE);
  const index = readShardIndex(dir);
  const files: SafetensorsFile[] = [];
  try {
    const byName = new Map<string, SafetensorsFile>();
    for (const shard of index.shards) {
      const shardPath = path.join(dir, shard);
      if (!fs.statSync(shardPath, { throwIfNoEntry: false })) {
        throw new ConvertError(`${indexFile}: names shard ${JSON.stringify(shard)}, which is not in the folder (incomplete download?)`);
      }
      const file = SafetensorsFile.open(shardPath);
      files.push(file);
      byName.set(shard, file);
    }
    const owners = new Map<string, SafetensorsFile>();
    for (const [tensor, shard] of index.weightMap) {
      const file = byName.get(shard) as SafetensorsFile; // every shard of the map was opened above
      if (!file.tensors.has(tensor)) {
        throw new ConvertError(`${indexFile}: maps tensor ${JSON.stringify(tensor)} to ${JSON.stringify(shard)}, which does not hold it`);
      }
      owners.set(tensor, file);
    }
    return { files, owners };
  } catch (err) {
    for (const f of files) f.close();
    throw err;
  }
}

/** The refusal for a folder without safetensors weights: what it has instead, if anything. */
function whyNoWeights(dir: string): string {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    return `cannot list the folder: ${describeFsError(err)}`;
  }
  const shard = names.find((n) => n.endsWith('.safetensors'));
  if (shard) return `has ${shard} but no ${SHARD_INDEX_FILE} saying which tensor is in which file`;
  const other = names.find((n) => OTHER_WEIGHTS.test(n));
  if (other) return `only safetensors checkpoints are supported, and this folder's weights are ${other} (download the model's .safetensors files)`;
  return `no model weights (${SINGLE_FILE} or ${SHARD_INDEX_FILE})`;
}

class CheckpointFolder implements Checkpoint {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly weightFiles: readonly string[];
  readonly bytes: number;
  private readonly owners: ReadonlyMap<string, SafetensorsFile>;
  private readonly files: readonly SafetensorsFile[];

  constructor(
    readonly dir: string,
    readonly config: JsonObject,
    readonly generationConfig: JsonObject | undefined,
    readonly tokenizerConfig: JsonObject | undefined,
    readonly tokenizerPath: string,
    weights: OpenWeights,
  ) {
    this.files = weights.files;
    this.owners = weights.owners;
    this.tensors = new Map([...weights.owners].map(([name, file]) => [name, file.tensors.get(name) as TensorInfo]));
    this.weightFiles = weights.files.map((f) => f.file);
    this.bytes = weights.files.reduce((n, f) => n + f.size, 0);
  }

  readFloat32(name: string): Float32Array {
    const file = this.owners.get(name);
    if (!file) throw new ConvertError(`${this.dir}: the checkpoint has no tensor ${JSON.stringify(name)}`);
    return file.readFloat32(name);
  }

  close(): void {
    for (const f of this.files) f.close();
  }
}
