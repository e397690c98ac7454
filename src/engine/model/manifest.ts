/**
 * Reads and validates a model folder's `dllm.json` (see models/README.md). The runtime guesses
 * nothing: every field it relies on is checked here, and every failure is one ModelLoadError
 * naming the path and the reason. The result is one variant per graph contract, so code holding a
 * SplitManifest has its graphs and cache shape without checking for them again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from '../errors';

export const MANIFEST_FILE = 'dllm.json';

/**
 * Upper bounds on what a manifest may claim. Every forward pass attends over the whole context, so
 * a larger window must still keep one pass well under a second or two on a laptop CPU (a manifest
 * claiming 100 000 context tokens made one pass take 18 s).
 */
export const MAX_CONTEXT_TOKENS_LIMIT = 8192;
/** The largest canvas the extension's settings can ask for (`dllm.*.maxTokens` maximum). */
export const MAX_CANVAS_TOKENS_LIMIT = 512;
/** Positions left unused between canvas and suffix: a gap longer than a window is never meaningful. */
export const MAX_SUFFIX_GAP_LIMIT = MAX_CONTEXT_TOKENS_LIMIT;

export interface SpecialTokens {
  mask: number;
  pad: number;
  bos: number | null;
  eos: number | null;
}

/**
 * How the split contract's context tokens attend to each other, which fixes the order the context
 * graph takes them in (runners/model.ts `contextTokens`; models/README.md, "Graph contracts").
 */
export type ContextAttention = 'bidirectional' | 'causalSuffixFirst';

export const CONTEXT_ATTENTIONS: readonly ContextAttention[] = ['bidirectional', 'causalSuffixFirst'];

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

/** One graph over the whole sequence, run per pass. */
export interface FullManifest extends ManifestBase {
  contract: 'full';
  files: SharedFiles & { model: string };
  /** logits[i] predicts token i+1 (the Dream family). */
  shiftedLogits: boolean;
}

/** A validated manifest: one variant per graph contract. */
export type ModelManifest = SplitManifest | FullManifest;

export type GraphContract = ModelManifest['contract'];

/** Reads `<modelDir>/dllm.json`, validates it and checks that the files it names exist inside the folder. */
export function readManifest(modelDir: string): ModelManifest {
  const dir = path.resolve(modelDir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new ModelLoadError(dir, 'model folder does not exist');
  }
  if (!stat.isDirectory()) throw new ModelLoadError(dir, 'not a folder');
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ModelLoadError(file, `missing ${MANIFEST_FILE} (not a model folder?)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError(file, jsonSyntaxProblem(e, text));
  }
  const manifest = parseManifest(json, dir, file);
  for (const f of Object.values(manifest.files)) {
    if (f !== undefined && !isFile(f)) throw new ModelLoadError(f, `missing file named in ${MANIFEST_FILE}`);
  }
  return manifest;
}

/** Bytes on disk of the files a manifest names (graphs, their shared weights, the tokenizer); a missing file counts 0. */
export function modelFilesBytes(manifest: Pick<ManifestBase, 'files'>): number {
  let bytes = 0;
  for (const f of Object.values(manifest.files)) if (f !== undefined) bytes += fs.statSync(f, { throwIfNoEntry: false })?.size ?? 0;
  return bytes;
}

/**
 * Why JSON.parse failed on `text`, without the snippet of the input that V8 quotes in its message:
 * the file may hold something that must not end up in a log or a notification.
 */
export function jsonSyntaxProblem(e: unknown, text: string): string {
  const message = e instanceof Error ? e.message : '';
  const at = /at position (\d+)/.exec(message)?.[1] ?? firstNonJsonCharacter(text);
  if (at !== undefined) return `not valid JSON (at position ${at})`;
  if (message.includes('Unexpected end of JSON input')) return 'not valid JSON (it ends too early)';
  return 'not valid JSON';
}

/** Where V8 gives no position, the common case of a file that is not JSON at all still gets one. */
function firstNonJsonCharacter(text: string): string | undefined {
  const start = text.search(/\S/);
  return start >= 0 && !/[[{"\-0-9tfn]/.test(text[start]!) ? String(start) : undefined;
}

type Fail = (reason: string) => never;

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
  const vocabSize = int(root, 'vocabSize', fail, 2);
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
    maxContextTokens,
    maxCanvasTokens,
  };
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
  const kv = asObject(root.kvCache, '"kvCache" (required by the split contract)', fail);
  const kvCache: KvCacheShape = {
    layers: int(kv, 'layers', fail, 1, 'kvCache.'),
    heads: int(kv, 'heads', fail, 1, 'kvCache.'),
    headDim: int(kv, 'headDim', fail, 1, 'kvCache.'),
  };
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
  const files = { ...base.files, model: filePath(json, 'model', 'full') };
  const shiftedLogits = readShiftedLogits(root, fail);
  // Refused, not ignored: a full graph has no context pass whose order it could set.
  if (root.contextAttention !== undefined) fail('"contextAttention" applies to the split contract only');
  if (root.maxSuffixGap !== undefined) fail('"maxSuffixGap" applies to the split contract only');
  return { ...base, contract: 'full', files, shiftedLogits };
}

function readShiftedLogits(root: Record<string, unknown>, fail: Fail): boolean {
  if (root.shiftedLogits === undefined) return false;
  if (typeof root.shiftedLogits !== 'boolean') fail('"shiftedLogits" must be true or false');
  return root.shiftedLogits as boolean;
}

function readSpecialTokens(root: Record<string, unknown>, vocabSize: number, fail: Fail): SpecialTokens {
  const st = asObject(root.specialTokens, '"specialTokens"', fail);
  const tokenId = (key: string, nullable: boolean): number | null => {
    const v = st[key];
    if (nullable && (v === null || v === undefined)) return null;
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= vocabSize) {
      fail(`"specialTokens.${key}" must be a token id in [0, vocabSize=${vocabSize})${nullable ? ' or null' : ''}`);
    }
    return v as number;
  };
  const specialTokens: SpecialTokens = {
    mask: tokenId('mask', false) as number,
    pad: tokenId('pad', false) as number,
    bos: tokenId('bos', true),
    eos: tokenId('eos', true),
  };
  if (specialTokens.mask === specialTokens.pad) fail('"specialTokens.mask" and "specialTokens.pad" must differ');
  return specialTokens;
}

function readLanguageTokens(root: Record<string, unknown>, vocabSize: number, fail: Fail): Record<string, number> | undefined {
  if (root.languageTokens === undefined || root.languageTokens === null) return undefined;
  const lt = asObject(root.languageTokens, '"languageTokens"', fail);
  const languageTokens: Record<string, number> = {};
  for (const [lang, id] of Object.entries(lt)) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= vocabSize) {
      fail(`"languageTokens.${lang}" must be a token id in [0, vocabSize=${vocabSize})`);
    }
    languageTokens[lang] = id as number;
  }
  return languageTokens;
}

/** `files.<key>` resolved inside the model folder; `requiredBy` names the contract that needs a graph file. */
function filePath(json: ManifestJson, key: string, requiredBy?: GraphContract): string {
  const v = json.files[key];
  if (v === undefined) json.fail(`missing required field "files.${key}"${requiredBy ? ` (required by the ${requiredBy} contract)` : ''}`);
  if (typeof v !== 'string' || v.length === 0) json.fail(`"files.${key}" must be a non-empty path`);
  return insidePath(json.dir, key, v as string, json.fail);
}

function asObject(v: unknown, what: string, fail: Fail): Record<string, unknown> {
  if (v === undefined) fail(`missing required field ${what}`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

function str(o: Record<string, unknown>, key: string, fail: Fail): string {
  const v = o[key];
  if (v === undefined) fail(`missing required field "${key}"`);
  if (typeof v !== 'string' || v.length === 0) fail(`"${key}" must be a non-empty string`);
  return v as string;
}

function optStr(o: Record<string, unknown>, key: string, fail: Fail): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') fail(`"${key}" must be a string`);
  return v as string;
}

function int(o: Record<string, unknown>, key: string, fail: Fail, min: number, prefix = ''): number {
  const v = o[key];
  if (v === undefined) fail(`missing required field "${prefix}${key}"`);
  if (!Number.isInteger(v) || (v as number) < min) fail(`"${prefix}${key}" must be an integer >= ${min}`);
  return v as number;
}

function atMost(value: number, key: string, limit: number, fail: Fail): number {
  if (value > limit) fail(`"${key}" is ${value}, above the limit of ${limit}: lower it in ${MANIFEST_FILE}`);
  return value;
}

/** `v` resolved against `dir`, refused when absolute or when it climbs out with `..`. */
function insidePath(dir: string, key: string, v: string, fail: Fail): string {
  // Both flavours: a manifest written on one system may be read on the other.
  const absolute = path.posix.isAbsolute(v) || path.win32.isAbsolute(v);
  const resolved = path.resolve(dir, v);
  if (absolute || !isInside(dir, resolved)) fail(`"files.${key}" must be a path inside the model folder (relative to it), not ${JSON.stringify(v)}`);
  return resolved;
}

/** Whether `p` lies strictly inside `dir` (both absolute, neither checked on disk). */
function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
