/**
 * Where the model lives (the bundled model, the package root, the requested folder), and the
 * folder's own problems turned into a reason a user can act on. Free of onnxruntime, so the
 * server's main thread and the extension host can use it without loading the engine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '../base/errorText';
import { ModelLoadError } from './errors';
import { jsonSyntaxProblem } from './json';
import { MANIFEST_FILE, MAX_MANIFEST_BYTES } from './limits';

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
 * The JSON text of `<modelDir>/dllm.json`, parsed but not yet validated (manifest.ts does that).
 * The folder's own problems are named here, once, for everyone who reads a model folder (the
 * engine, the server before it loads the engine, the model picker): a wrong path, a file instead
 * of a folder, no manifest, one too large to be one, one that is not JSON. Each is a ModelLoadError
 * on the folder whose reason names the manifest where it is at fault.
 */
export function readManifestJson(modelDir: string): unknown {
  const dir = path.resolve(modelDir);
  const fail = (reason: string): never => {
    throw new ModelLoadError(dir, reason);
  };
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    return fail('the folder does not exist');
  }
  if (!stat.isDirectory()) fail('it is not a folder');
  const file = path.join(dir, MANIFEST_FILE);
  let text = '';
  try {
    const bytes = fs.statSync(file).size;
    if (bytes > MAX_MANIFEST_BYTES) fail(`${MANIFEST_FILE} is ${bytes} bytes, above the limit of ${MAX_MANIFEST_BYTES} (not a model manifest?)`);
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ModelLoadError) throw error;
    fail((error as NodeJS.ErrnoException).code === 'ENOENT' ? `it has no ${MANIFEST_FILE} manifest` : `${MANIFEST_FILE} cannot be read: ${errorMessage(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // Without the parser's quote of the text: the file may be a link to anything.
    return fail(`${MANIFEST_FILE} is ${jsonSyntaxProblem(error, text)}`);
  }
}
