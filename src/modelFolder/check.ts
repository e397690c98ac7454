/**
 * Whether a folder holds a model the engine can load, as far as can be told without loading it:
 * the checks a folder passes before the extension switches the engine to it. The manifest is read
 * by its own reader (manifest.ts); the checks here add only what the engine would otherwise find
 * after the switch, at load time (a tokenizer that is not one, a graph that is not ONNX).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from './errors';
import { modelFilesBytes, readManifest, type ModelManifest } from './manifest';

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
    if (error instanceof ModelLoadError) return { ok: false, problem: refusalInFolder(dir, error) };
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

/**
 * A ModelLoadError's reason as said about the folder `dir`: the file at fault named relative to
 * it (`dllm.json: missing required field "format"`), the folder's own problems as they are, a path
 * outside it in full.
 */
export function refusalInFolder(dir: string, error: ModelLoadError): string {
  const file = path.relative(path.resolve(dir), error.path);
  if (file === '') return error.reason;
  return file.startsWith('..') || path.isAbsolute(file) ? `${error.path}: ${error.reason}` : `${file}: ${error.reason}`;
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
