/**
 * Choosing a model folder: the checks a folder passes before the engine is switched to it, and the
 * recently used folders. No `vscode` import: modelCommands.ts puts a UI on it, the unit tests use
 * it directly. The manifest is read by the engine's own reader (one owner of the model contract);
 * the checks here add only what the engine would otherwise find after the switch, at load time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from '../engine/errors';
import { modelFilesBytes, readManifest, type ModelManifest } from '../engine/model/manifest';
import type { KeyValueStore } from './inlineGate';

export type ModelCheck =
  | { ok: true; name: string; contract: ModelManifest['contract']; family?: string; sizeBytes: number; maxContextTokens: number }
  | { ok: false; problem: string };

/** The first byte of every ONNX file: ModelProto's field 1 (ir_version) as a varint. */
const onnxFirstByte = 0x08;

/** Whether `dir` holds a model the engine can load, as far as can be told without loading it. */
export function checkModelFolder(dir: string): ModelCheck {
  let manifest: ModelManifest;
  try {
    manifest = readManifest(dir);
  } catch (error) {
    if (error instanceof ModelLoadError) return { ok: false, problem: whereAndWhy(dir, error) };
    throw error;
  }
  const problem = tokenizerProblem(manifest.files.tokenizer) ?? graphProblem(manifest);
  if (problem) return { ok: false, problem };
  return {
    ok: true,
    name: manifest.name,
    contract: manifest.contract,
    ...(manifest.family === undefined ? {} : { family: manifest.family }),
    sizeBytes: modelFilesBytes(manifest),
    maxContextTokens: manifest.maxContextTokens,
  };
}

/** A ModelLoadError's reason, naming the file when it is one inside the folder. */
function whereAndWhy(dir: string, error: ModelLoadError): string {
  const relative = path.relative(path.resolve(dir), error.path);
  return relative && !relative.startsWith('..') ? `${relative}: ${error.reason}` : error.reason;
}

function tokenizerProblem(file: string): string | undefined {
  const name = path.basename(file);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return `${name} is not JSON`;
  }
  const model = typeof json === 'object' && json !== null ? (json as { model?: unknown }).model : undefined;
  return typeof model === 'object' && model !== null ? undefined : `${name} is not a tokenizer (it has no "model")`;
}

function graphProblem(manifest: ModelManifest): string | undefined {
  const graphs = manifest.contract === 'split' ? [manifest.files.context, manifest.files.denoise] : [manifest.files.model];
  for (const graph of graphs) {
    const first = Buffer.alloc(1);
    const fd = fs.openSync(graph, 'r');
    try {
      if (fs.readSync(fd, first, 0, 1, 0) === 0) return `${path.basename(graph)} is empty`;
    } finally {
      fs.closeSync(fd);
    }
    if (first[0] !== onnxFirstByte) return `${path.basename(graph)} is not an ONNX graph`;
  }
  return undefined;
}

const recentKey = 'dllm.recentModels';

/** Model folders used lately, newest first, kept in the extension's global state. */
export class RecentModels {
  constructor(
    private readonly store: KeyValueStore,
    readonly max = 5,
  ) {}

  list(): string[] {
    const value = this.store.get<unknown>(recentKey);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  }

  async add(folder: string): Promise<void> {
    const rest = this.list().filter((f) => !samePath(f, folder));
    await this.store.update(recentKey, [folder, ...rest].slice(0, this.max));
  }

  async remove(folder: string): Promise<void> {
    await this.store.update(recentKey, this.list().filter((f) => !samePath(f, folder)));
  }
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

/**
 * `dllm-code-tiny (22 MB, split contract)`: how the status tooltip, statistics and log name a model;
 * a model running its cached mode adds it, e.g. `…, full contract, cached, refreshed every 4 passes)`.
 */
export function describeModel(model: { name: string; sizeBytes: number; contract: ModelManifest['contract']; family?: string; cachedRefreshEvery?: number }): string {
  const family = model.family === undefined ? '' : `${model.family} family, `;
  const k = model.cachedRefreshEvery;
  const mode = k === undefined ? '' : `, cached, refreshed every ${k === 1 ? 'pass' : `${k} passes`}`;
  return `${model.name} (${formatBytes(model.sizeBytes)}, ${family}${model.contract} contract${mode})`;
}

/** `21.7 MB`: sizes as the file manager shows them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
