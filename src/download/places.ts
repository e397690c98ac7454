/**
 * Where pulled models go outside VS Code (`npm run models`): one cache root,
 * `$XDG_CACHE_HOME/dllm-complete` or `~/.cache/dllm-complete`, holding `downloads/` (the Hub's
 * files, partial ones included, by repository and commit) and `models/` (converted model folders).
 * The extension uses its own global storage instead, with the same two folders.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MANIFEST_FILE } from '../modelFolder/limits';

export function cacheRoot(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  const xdg = env.XDG_CACHE_HOME?.trim();
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache'), 'dllm-complete');
}

/** A model folder's name from its repository: `fredzzp/open-dcoder-0.5B` → `open-dcoder-0.5B`. */
export function modelFolderName(repo: string): string {
  return (repo.split('/').pop() ?? repo).replace(/[^A-Za-z0-9._-]+/g, '-') || 'model';
}

/** The model folders (holding dllm.json) directly under `dir`. */
export function convertedModels(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, MANIFEST_FILE)))
    .map((e) => path.join(dir, e.name))
    .sort();
}

/** Bytes under `dir` (0 when it does not exist). */
export function folderBytes(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(p) : fs.statSync(p).size;
  }
  return total;
}

/**
 * A model folder name from the checkpoint's: a Hugging Face cache snapshot
 * (`models--Org--Name/snapshots/<hash>`) is named after its repository.
 */
export function folderName(from: string): string {
  const parts = path.resolve(from).split(path.sep);
  const repo = parts.find((p) => p.startsWith('models--'));
  const name = repo ? repo.slice('models--'.length).split('--').pop()! : parts[parts.length - 1] || 'model';
  return name.replace(/[^A-Za-z0-9._-]+/g, '-');
}

/** `base`, or `base-2`, `base-3`… : the first that does not exist or is an empty folder. */
export function freeFolder(base: string): string {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!fs.existsSync(candidate) || (fs.statSync(candidate).isDirectory() && fs.readdirSync(candidate).length === 0)) return candidate;
  }
}
