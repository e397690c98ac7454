/**
 * Reads and validates a model folder's `dllm.json` (see models/README.md). The runtime guesses
 * nothing: every field it relies on is checked here, and every failure is one ModelLoadError
 * naming the path and the reason. The result is one variant per graph contract, so code holding a
 * SplitManifest has its graphs and cache shape without checking for them again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from './errors';
import { readManifestJson } from './folder';
import { insidePath, isFile } from './insideFolder';
import { asObject, int, optStr, str, type Fail } from './json';
import { optFamily, readLanguageTokens, readPromptEnds, readSpecialTokens, type PromptEnds } from './tokens';
import { optLengthChoice, type LengthChoice } from './lengthChoice';
import { optBlockLength } from './blockLength';
import { optLengthTokens, type LengthTokens } from './lengthTokens';
import { optTakesSuffix } from './suffix';
import { CONTEXT_ATTENTIONS, type ContextAttention } from '../protocol/decoding';
import {
  MANIFEST_FILE,
  MAX_CANVAS_TOKENS_LIMIT,
  MAX_CONTEXT_TOKENS_LIMIT,
  MAX_SUFFIX_GAP_LIMIT,
  MAX_VOCAB_SIZE_LIMIT,
  atMost,
  readKvCache,
} from './limits';

export { MANIFEST_FILE, MAX_CANVAS_TOKENS_LIMIT, MAX_CONTEXT_TOKENS_LIMIT, MAX_SUFFIX_GAP_LIMIT } from './limits';

export interface SpecialTokens {
  mask: number;
  pad: number;
  bos: number | null;
  eos: number | null;
}

/**
 * How the split contract's context tokens attend to each other, which fixes the order the context
 * graph takes them in (src/engine/runners/model.ts `contextTokens`; models/README.md, "Graph contracts"); the
 * decoder's contract names them.
 */
export { CONTEXT_ATTENTIONS, type ContextAttention };

export interface KvCacheShape {
  layers: number;
  heads: number;
  headDim: number;
}

/** Files every contract names; paths are absolute. */
export interface SharedFiles {
  tokenizer: string;
  /** Optional: the graphs' shared external weights, named so that a missing one is reported as such. */
  weights?: string;
}

/** What every contract's manifest holds. */
export interface ManifestBase {
  /** Absolute model folder. */
  dir: string;
  format: 1;
  name: string;
  description: string;
  license: string;
  provenance: string;
  files: SharedFiles;
  vocabSize: number;
  specialTokens: SpecialTokens;
  /** By VS Code language id; `other` is the fallback. Absent: no language token. */
  languageTokens?: Readonly<Record<string, number>>;
  /** Whether a request's sequence starts with bos and ends with eos (where the model has them). */
  promptEnds: PromptEnds;
  /** The published model family a converted checkpoint belongs to (`dream`, `llada`); absent for the extension's own models. */
  family?: string;
  /** How a request's canvas length is chosen (lengthChoice.ts); absent: as long as the request allows. */
  lengthChoice?: LengthChoice;
  /** Whether the request's suffix goes into the sequence (suffix.ts); absent: true. */
  takesSuffix?: boolean;
  /** Tokens per block of a model that generates block by block (blockLength.ts); absent: the whole canvas at once. */
  blockLength?: number;
  /** Tokens that grow and shrink the canvas while it denoises (lengthTokens.ts); absent: its length is fixed. */
  lengthTokens?: LengthTokens;
  maxContextTokens: number;
  maxCanvasTokens: number;
}

/** A context graph run once per request, and a denoise graph run per pass against its keys and values. */
export interface SplitManifest extends ManifestBase {
  contract: 'split';
  files: SharedFiles & { context: string; denoise: string };
  kvCache: KvCacheShape;
  /** `bidirectional` when dllm.json leaves it out. */
  contextAttention: ContextAttention;
  /**
   * The most unused positions between the canvas's end and the suffix's start the model was trained
   * with (0 when dllm.json leaves it out). Room there lets typing extend a causal context without
   * moving the suffix (src/engine/contextCache.ts).
   */
  maxSuffixGap: number;
}

/**
 * One graph over the whole sequence, run per pass; optionally also the cached mode's graph
 * (models/README.md, "Cached mode"), present together with its `kvCache`.
 */
export interface FullManifest extends ManifestBase {
  contract: 'full';
  files: SharedFiles & { model: string; cached?: string };
  /** logits[i] predicts token i+1 (the Dream family). */
  shiftedLogits: boolean;
  /** The cached mode's key/value shape; present exactly when files.cached is. */
  kvCache?: KvCacheShape;
  /** The rotary base of the keys the cached mode keeps, with which a reused key moves to a new position; absent: reused keys never move. */
  ropeTheta?: number;
  /**
   * The folder names the two cached-mode graphs (`files.context`, `files.denoise`) of an earlier
   * conversion, which the engine no longer runs: it runs exact mode and says to convert again.
   */
  earlierCachedGraphs?: true;
}

/** A validated manifest: one variant per graph contract. */
export type ModelManifest = SplitManifest | FullManifest;

export type GraphContract = ModelManifest['contract'];

/** Reads `<modelDir>/dllm.json`, validates it and checks that the files it names exist inside the folder. */
export function readManifest(modelDir: string): ModelManifest {
  const dir = path.resolve(modelDir);
  const manifest = parseManifest(readManifestJson(dir), dir);
  for (const f of Object.values(manifest.files) as (string | undefined)[]) {
    if (f !== undefined && !isFile(f)) throw new ModelLoadError(f, `missing file named in ${MANIFEST_FILE}`);
  }
  return manifest;
}

/** Bytes on disk of the files a manifest names (graphs, their shared weights, the tokenizer); a missing file counts 0. */
export function modelFilesBytes(manifest: Pick<ManifestBase, 'files'>): number {
  let bytes = 0;
  for (const f of Object.values(manifest.files) as (string | undefined)[]) if (f !== undefined) bytes += fs.statSync(f, { throwIfNoEntry: false })?.size ?? 0;
  return bytes;
}

/** The manifest JSON and what every field reader needs to resolve and report. */
interface ManifestJson {
  root: Record<string, unknown>;
  files: Record<string, unknown>;
  dir: string;
  fail: Fail;
}

/** Reads the fields of one contract's variant on top of the fields they all share. */
type VariantReader<C extends GraphContract> = (json: ManifestJson, base: ManifestBase) => Extract<ModelManifest, { contract: C }>;

/** One reader per contract: a new contract is a new variant of ModelManifest and its reader here. */
const VARIANT_READERS: { readonly [C in GraphContract]: VariantReader<C> } = {
  split: readSplit,
  full: readFull,
};

/**
 * Validates manifest JSON (no file-system access). `file` names the manifest in errors. Fields
 * the runtime does not use (e.g. the informational `architecture` block) are ignored.
 */
export function parseManifest(json: unknown, dir: string, file = path.join(dir, MANIFEST_FILE)): ModelManifest {
  const fail = (reason: string): never => {
    throw new ModelLoadError(file, reason);
  };
  const root = asObject(json, 'the manifest', fail);

  if (root.format === undefined) fail('missing required field "format"');
  if (root.format !== 1) fail(`unsupported "format" ${JSON.stringify(root.format)} (this version reads format 1)`);
  const contract = readContract(root, fail);

  const name = str(root, 'name', fail);
  const vocabSize = atMost(int(root, 'vocabSize', fail, 2), 'vocabSize', MAX_VOCAB_SIZE_LIMIT, fail);
  const maxContextTokens = atMost(int(root, 'maxContextTokens', fail, 1), 'maxContextTokens', MAX_CONTEXT_TOKENS_LIMIT, fail);
  const maxCanvasTokens = atMost(int(root, 'maxCanvasTokens', fail, 1), 'maxCanvasTokens', MAX_CANVAS_TOKENS_LIMIT, fail);

  const manifestJson: ManifestJson = { root, files: asObject(root.files, '"files"', fail), dir, fail };
  const files: SharedFiles = { tokenizer: filePath(manifestJson, 'tokenizer') };
  if (manifestJson.files.weights !== undefined) files.weights = filePath(manifestJson, 'weights');

  const base: ManifestBase = {
    dir,
    format: 1,
    name,
    description: optStr(root, 'description', fail),
    license: optStr(root, 'license', fail),
    provenance: optStr(root, 'provenance', fail),
    files,
    vocabSize,
    specialTokens: readSpecialTokens(root, vocabSize, fail),
    languageTokens: readLanguageTokens(root, vocabSize, fail),
    promptEnds: readPromptEnds(root, fail),
    maxContextTokens,
    maxCanvasTokens,
  };
  const family = optFamily(root, fail);
  if (family !== undefined) base.family = family;
  const lengthChoice = optLengthChoice(root, fail);
  if (lengthChoice !== undefined) base.lengthChoice = lengthChoice;
  const takesSuffix = optTakesSuffix(root, fail);
  if (takesSuffix !== undefined) base.takesSuffix = takesSuffix;
  const blockLength = optBlockLength(root, fail);
  if (blockLength !== undefined) base.blockLength = blockLength;
  const lengthTokens = optLengthTokens(root, vocabSize, base.specialTokens, fail);
  if (lengthTokens !== undefined) base.lengthTokens = lengthTokens;
  return VARIANT_READERS[contract](manifestJson, base);
}

function readContract(root: Record<string, unknown>, fail: Fail): GraphContract {
  const contract = root.contract;
  if (contract === undefined) fail('missing required field "contract"');
  if (typeof contract !== 'string' || !Object.hasOwn(VARIANT_READERS, contract)) {
    const expected = Object.keys(VARIANT_READERS).map((c) => `"${c}"`).join(' or ');
    fail(`unknown "contract" ${JSON.stringify(contract)} (expected ${expected})`);
  }
  return contract as GraphContract;
}

function readSplit(json: ManifestJson, base: ManifestBase): SplitManifest {
  const { root, fail } = json;
  const files = { ...base.files, context: filePath(json, 'context', 'split'), denoise: filePath(json, 'denoise', 'split') };
  if (readShiftedLogits(root, fail)) fail('"shiftedLogits" applies to the full contract only');
  const kvCache = readKvCache(root, 'the split contract', fail);
  let contextAttention: ContextAttention = 'bidirectional';
  if (root.contextAttention !== undefined) {
    if (!(CONTEXT_ATTENTIONS as readonly unknown[]).includes(root.contextAttention)) {
      fail(`unknown "contextAttention" ${JSON.stringify(root.contextAttention)} (expected ${CONTEXT_ATTENTIONS.map((a) => `"${a}"`).join(' or ')})`);
    }
    contextAttention = root.contextAttention as ContextAttention;
  }
  const maxSuffixGap = root.maxSuffixGap === undefined ? 0 : atMost(int(root, 'maxSuffixGap', fail, 0), 'maxSuffixGap', MAX_SUFFIX_GAP_LIMIT, fail);
  return { ...base, contract: 'split', files, kvCache, contextAttention, maxSuffixGap };
}

function readFull(json: ManifestJson, base: ManifestBase): FullManifest {
  const { root, fail } = json;
  const files: FullManifest['files'] = { ...base.files, model: filePath(json, 'model', 'full') };
  const shiftedLogits = readShiftedLogits(root, fail);
  // Refused, not ignored: a full graph has no context pass whose order it could set.
  if (root.contextAttention !== undefined) fail('"contextAttention" applies to the split contract only');
  if (root.maxSuffixGap !== undefined) fail('"maxSuffixGap" applies to the split contract only');
  const earlier = json.files.context !== undefined && json.files.denoise !== undefined && json.files.cached === undefined;
  // The cached mode: its graph and its cache shape, or neither.
  if (json.files.cached === undefined && (root.kvCache === undefined || earlier)) {
    return { ...base, contract: 'full', files, shiftedLogits, ...(earlier ? { earlierCachedGraphs: true as const } : {}) };
  }
  files.cached = filePath(json, 'cached', 'full', 'the cached mode');
  const kvCache = readKvCache(root, 'the cached mode\'s graph "files.cached"', fail);
  const theta = root.ropeTheta;
  if (theta !== undefined && (typeof theta !== 'number' || !Number.isFinite(theta) || theta <= 1)) fail('"ropeTheta" must be a number above 1');
  return { ...base, contract: 'full', files, shiftedLogits, kvCache, ...(theta === undefined ? {} : { ropeTheta: theta as number }) };
}

function readShiftedLogits(root: Record<string, unknown>, fail: Fail): boolean {
  if (root.shiftedLogits === undefined) return false;
  if (typeof root.shiftedLogits !== 'boolean') fail('"shiftedLogits" must be true or false');
  return root.shiftedLogits;
}

/** `files.<key>` resolved inside the model folder; `requiredBy` names the contract (or its `mode`) that needs a graph file. */
function filePath(json: ManifestJson, key: string, requiredBy?: GraphContract, mode?: string): string {
  const v = json.files[key];
  if (v === undefined) json.fail(`missing required field "files.${key}"${requiredBy ? ` (required by ${mode ?? `the ${requiredBy} contract`})` : ''}`);
  if (typeof v !== 'string' || v.length === 0) json.fail(`"files.${key}" must be a non-empty path`);
  return insidePath(json.dir, key, v, json.fail);
}
