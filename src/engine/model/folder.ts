/**
 * Where the model lives, and the checks that turn "it did not load" into a reason a user can act on.
 * Free of onnxruntime, so the server's main thread can use it without loading the engine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '../errors';
import { jsonSyntaxProblem } from './json';
import { MANIFEST_FILE } from './manifest';

/** Folder name of the model shipped with the extension. */
export const BUNDLED_MODEL = 'dllm-code-tiny';

/** The bundled model folder under an extension (or package) root. */
export function bundledModelDir(root: string): string {
  return path.join(root, 'models', BUNDLED_MODEL);
}

/**
 * The package root: the nearest folder above `fromDir` holding package.json.
 * The bundle runs from `<root>/dist/`, the sources (tests) from `<root>/src/server/`.
 */
export function findPackageRoot(fromDir: string): string {
  let dir = path.resolve(fromDir);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(fromDir, '..');
    dir = parent;
  }
}

/** The folder to load: the setting's path (relative = to the working directory) or the bundled model. */
export function resolveModelDir(requested: string | undefined, bundledDir: string): string {
  const trimmed = requested?.trim();
  return trimmed ? path.resolve(trimmed) : bundledDir;
}

/**
 * The first problem a load would hit that can be named without the engine, or undefined.
 * Covers the usual mistakes: wrong path, a file instead of a folder, no manifest, a manifest
 * that is not JSON. Everything deeper (graphs, tokenizer) is the engine's to report.
 */
export async function findFolderProblem(modelDir: string): Promise<string | undefined> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(modelDir);
  } catch {
    return 'the folder does not exist';
  }
  if (!stat.isDirectory()) return 'it is not a folder';
  const manifestPath = path.join(modelDir, MANIFEST_FILE);
  let text: string;
  try {
    text = await fs.promises.readFile(manifestPath, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? `it has no ${MANIFEST_FILE} manifest`
      : `${MANIFEST_FILE} cannot be read: ${errorMessage(error)}`;
  }
  try {
    JSON.parse(text);
  } catch (error) {
    // Without the parser's quote of the text: the file may be a link to anything.
    return `${MANIFEST_FILE} is ${jsonSyntaxProblem(error, text)}`;
  }
  return undefined;
}
