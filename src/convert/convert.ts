/**
 * Converts a Hugging Face checkpoint folder into the extension's model folder (full contract):
 * model.onnx, the cached mode's cached.onnx, their shared weights in model.onnx.data, tokenizer.json and dllm.json. Everything is checked
 * before anything large is written (family, config features, every tensor's shape, special tokens,
 * limits, free disk space), then written into a temporary sibling folder that is renamed into
 * place only when complete and its manifest reads back; on any failure or cancellation the
 * temporary folder is removed and nothing is left at the destination.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MANIFEST_FILE, readManifest } from '../modelFolder/manifest';
import { MAX_CANVAS_TOKENS_LIMIT, MAX_CONTEXT_TOKENS_LIMIT } from '../modelFolder/limits';
import { Checkpoint, openCheckpoint } from './checkpoint';
import { ConvertError } from './errors';
import { selectFamily } from './families';
import { Family, FamilyPlan, expectedTensors } from './families/family';
import { checkpointName, readLicense } from './modelCard';
import { buildCachedGraph } from './cachedGraphs';
import { encodeModel } from './onnx';
import { TokenFacts, readTokenFacts } from './tokens';
import { buildTransformer } from './transformer';
import { WEIGHT_STORAGES, WeightStorage, WeightsLayout, WriteProgress, throwIfAborted, writeWeights } from './weightsFile';

export const MODEL_FILE = 'model.onnx';
export const CACHED_FILE = 'cached.onnx';
export const WEIGHTS_FILE = 'model.onnx.data';
export const TOKENIZER_FILE = 'tokenizer.json';
const DEFAULT_CONTEXT_CAP = 1024;
const DEFAULT_CANVAS = 128;
/** Room left on the disk beyond the output's own size. */
const DISK_MARGIN = 64 * 1024 * 1024;

export interface ConvertOptions {
  /** The model folder to create; refused when it exists and is not empty. */
  to: string;
  /** Storage of the weight matrices (default fp16): fp32, fp16, int8, int4 or int8-channel (storages.ts). */
  weights?: string;
  /** A family id that overrides config.json's (e.g. `dream` for Open-dCoder, whose config says qwen2). */
  family?: string;
  /** maxContextTokens (default: the model's trained length, at most 1024). */
  context?: number;
  /** maxCanvasTokens (default 128). */
  canvas?: number;
  /** The manifest's name (default: the destination folder's name). */
  name?: string;
  signal?: AbortSignal;
  onProgress?: (progress: WriteProgress) => void;
}

export interface ConvertResult {
  dir: string;
  family: Family['id'];
  storage: WeightStorage;
  /** The manifest as written. */
  manifest: Record<string, unknown>;
  /** Bytes of model.onnx.data. */
  weightsBytes: number;
  /** Checkpoint tensors the graph does not read (left out). */
  ignoredTensors: string[];
}

/** Opens the checkpoint folder `from` and converts it (the command line's and the extension's entry). */
export async function convert(from: string, options: ConvertOptions): Promise<ConvertResult> {
  const storage = weightStorage(options.weights);
  refuseExisting(options.to);
  const checkpoint = openCheckpoint(from);
  try {
    return await convertCheckpoint(checkpoint, { ...options, weights: storage });
  } finally {
    checkpoint.close();
  }
}

/** Converts an opened checkpoint; `checkpoint.dir` is read for its model card. */
export async function convertCheckpoint(checkpoint: Checkpoint, options: ConvertOptions): Promise<ConvertResult> {
  const storage = weightStorage(options.weights);
  const to = path.resolve(options.to);
  refuseExisting(to);
  const config = checkpoint.config as Record<string, unknown>;
  const family = selectFamily(config, options.family);
  const plan = family.plan(config);
  const ignoredTensors = checkTensors(checkpoint, plan);
  const tokens = readTokenFacts(checkpoint, family, plan.shape.vocab);
  const limits = contextLimits(plan, options);
  throwIfAborted(options.signal);

  const source = checkpointName(checkpoint.dir);
  const layout = new WeightsLayout(WEIGHTS_FILE);
  const metadata = { source, family: family.id, weights: storage };
  // The full graph places the weights; the cached mode's graph reads the same ones.
  const graphs: [string, Uint8Array][] = [
    [MODEL_FILE, encodeModel(buildTransformer(plan, storage, layout, metadata))],
    [CACHED_FILE, encodeModel(buildCachedGraph(plan, storage, layout, metadata))],
  ];
  const tokenizerBytes = fs.statSync(checkpoint.tokenizerPath).size;
  checkFreeSpace(path.dirname(to), layout.bytes + graphs.reduce((n, [, bytes]) => n + bytes.length, 0) + tokenizerBytes);

  const manifest = manifestJson({ name: options.name ?? path.basename(to), source, family, plan, storage, tokens, limits, license: readLicense(checkpoint.dir) });
  const partial = `${to}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial);
  try {
    for (const [file, bytes] of graphs) fs.writeFileSync(path.join(partial, file), bytes);
    fs.copyFileSync(checkpoint.tokenizerPath, path.join(partial, TOKENIZER_FILE));
    await writeWeights(path.join(partial, WEIGHTS_FILE), layout, checkpoint, { signal: options.signal, onProgress: options.onProgress });
    fs.writeFileSync(path.join(partial, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    // The engine's own reader must accept what was written before anyone can see it.
    try {
      readManifest(partial);
    } catch (e) {
      throw new ConvertError(`the written ${MANIFEST_FILE} does not read back: ${(e as Error).message}`);
    }
    throwIfAborted(options.signal);
    refuseExisting(to);
    if (fs.existsSync(to)) fs.rmdirSync(to); // an empty folder, which rename cannot replace everywhere
    fs.renameSync(partial, to);
  } catch (e) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw e;
  }
  return { dir: to, family: family.id, storage, manifest, weightsBytes: layout.bytes, ignoredTensors };
}

function weightStorage(value: string | undefined): WeightStorage {
  const v = value ?? 'fp16';
  if ((WEIGHT_STORAGES as readonly string[]).includes(v)) return v as WeightStorage;
  throw new ConvertError(`unknown --weights "${v}" (expected ${WEIGHT_STORAGES.join(' or ')})`);
}

/** Refuses a destination that exists and is not an empty folder. */
function refuseExisting(to: string): void {
  const stat = fs.statSync(to, { throwIfNoEntry: false });
  if (!stat) {
    if (!fs.statSync(path.dirname(path.resolve(to)), { throwIfNoEntry: false })?.isDirectory()) throw new ConvertError(`${path.dirname(path.resolve(to))}: no such folder to create ${path.basename(to)} in`);
    return;
  }
  if (!stat.isDirectory()) throw new ConvertError(`${to} exists and is not a folder`);
  if (fs.readdirSync(to).length > 0) throw new ConvertError(`${to} exists and is not empty (choose a new folder, or remove it first)`);
}

/**
 * Every tensor the graph reads must be present with the shape config.json implies; tensors it
 * does not read (buffers some checkpoints save, an untied head's copy) are left out and reported.
 */
function checkTensors(checkpoint: Checkpoint, plan: FamilyPlan): string[] {
  const expected = expectedTensors(plan);
  const missing = [...expected.keys()].filter((name) => !checkpoint.tensors.has(name));
  if (missing.length > 0) {
    const shown = missing.slice(0, 3).join(', ');
    throw new ConvertError(`the checkpoint lacks ${missing.length} tensor${missing.length === 1 ? '' : 's'} its config.json implies: ${shown}${missing.length > 3 ? ', …' : ''}`);
  }
  for (const [name, shape] of expected) {
    const actual = checkpoint.tensors.get(name)!.shape;
    if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i])) {
      throw new ConvertError(`tensor ${name} has shape [${actual.join(', ')}], but config.json implies [${shape.join(', ')}]`);
    }
  }
  return [...checkpoint.tensors.keys()].filter((name) => !expected.has(name));
}

interface Limits {
  maxContextTokens: number;
  maxCanvasTokens: number;
}

function contextLimits(plan: FamilyPlan, options: ConvertOptions): Limits {
  const trained = plan.shape.maxPositions;
  const maxCanvasTokens = options.canvas ?? DEFAULT_CANVAS;
  const maxContextTokens = options.context ?? Math.min(trained - maxCanvasTokens, DEFAULT_CONTEXT_CAP);
  const check = (flag: string, value: number, limit: number): void => {
    if (!Number.isInteger(value) || value < 1 || value > limit) throw new ConvertError(`${flag} ${value} is out of range (1 to ${limit})`);
  };
  check('--canvas', maxCanvasTokens, MAX_CANVAS_TOKENS_LIMIT);
  check('--context', maxContextTokens, MAX_CONTEXT_TOKENS_LIMIT);
  if (maxContextTokens + maxCanvasTokens > trained) {
    throw new ConvertError(`--context ${maxContextTokens} plus --canvas ${maxCanvasTokens} exceeds the ${trained} positions the model was trained for`);
  }
  return { maxContextTokens, maxCanvasTokens };
}

function checkFreeSpace(dir: string, bytes: number): void {
  const stats = fs.statfsSync(dir);
  const free = stats.bavail * stats.bsize;
  if (free < bytes + DISK_MARGIN) {
    const gib = (n: number): string => `${(n / 2 ** 30).toFixed(1)} GiB`;
    throw new ConvertError(`not enough free disk space in ${dir}: the model needs ${gib(bytes)}, ${gib(free)} free`);
  }
}

interface ManifestFacts {
  name: string;
  source: string;
  family: Family;
  plan: FamilyPlan;
  storage: WeightStorage;
  tokens: TokenFacts;
  limits: Limits;
  license: string;
}

/** dllm.json for a converted model (models/README.md); `architecture` is informational. */
function manifestJson(f: ManifestFacts): Record<string, unknown> {
  const s = f.plan.shape;
  const parameters = [...expectedTensors(f.plan).values()].reduce((n, shape) => n + shape.reduce((a, b) => a * b, 1), 0);
  return {
    format: 1,
    name: f.name,
    description: `${f.source} converted for dLLM Complete (${f.family.id} family, ${f.storage} weights)`,
    license: f.license,
    provenance: `converted from the Hugging Face checkpoint ${f.source} (${f.family.id} family) by npm run convert`,
    contract: 'full',
    family: f.family.id,
    files: { tokenizer: TOKENIZER_FILE, model: MODEL_FILE, cached: CACHED_FILE, weights: WEIGHTS_FILE },
    vocabSize: s.vocab,
    specialTokens: f.tokens.specialTokens,
    shiftedLogits: f.plan.shiftedLogits,
    bosFirst: f.tokens.bosFirst,
    eosLast: f.tokens.eosLast,
    // A model that pads with its end token reads the middle's likely length off a first pass (src/engine/length.ts).
    // Not DreamOn: its generation starts from a few masks and grows or shrinks them with its own tokens, with no such probe.
    ...(f.tokens.lengthTokens
      ? { lengthTokens: f.tokens.lengthTokens }
      : f.tokens.specialTokens.pad === f.tokens.specialTokens.eos
        ? { lengthChoice: 'endProbability' }
        : {}),
    // Block-causal: no position sees a later block, so text after the canvas would be unseen (and would spoil the cache);
    // the engine denoises block by block (or sub-block by sub-block), as the family generates.
    ...(f.plan.blockLength !== undefined ? { takesSuffix: false, blockLength: f.plan.decodeBlockLength ?? f.plan.blockLength } : {}),
    maxContextTokens: f.limits.maxContextTokens,
    maxCanvasTokens: f.limits.maxCanvasTokens,
    // The cached mode's keys and values per layer: the key/value heads, before they are repeated.
    kvCache: { layers: s.layers, heads: s.kvHeads, headDim: s.headDim },
    ropeTheta: s.ropeTheta,
    architecture: {
      family: f.family.id, vocab_size: s.vocab, d_model: s.hidden, n_layers: s.layers, n_heads: s.heads, n_kv_heads: s.kvHeads,
      head_dim: s.headDim, ffn_hidden: s.ffn, rope_theta: s.ropeTheta, norm_eps: s.normEps, max_positions: s.maxPositions,
      ...(f.plan.blockLength !== undefined ? { block_length: f.plan.blockLength } : {}),
      storage: f.storage, parameters,
    },
  };
}
