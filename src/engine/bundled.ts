/**
 * Where the model shipped with the extension lives. Its own module so the server's main thread can
 * name it without loading the engine (and onnxruntime) itself.
 */
import * as path from 'node:path';

/** Folder name of the model shipped with the extension. */
export const BUNDLED_MODEL = 'dllm-code-tiny';

/** The bundled model folder under an extension (or package) root. */
export function bundledModelDir(root: string): string {
  return path.join(root, 'models', BUNDLED_MODEL);
}
