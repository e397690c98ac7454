/**
 * Typed errors the server maps to its JSON-RPC error codes.
 */

/** The model folder is missing, corrupt or does not match its manifest. Message names path and reason. */
export class ModelLoadError extends Error {
  constructor(
    /** The file or folder at fault. */
    readonly path: string,
    /** Why it could not be used, in a few words. */
    readonly reason: string,
  ) {
    super(`Cannot load model: ${path}: ${reason}`);
    this.name = 'ModelLoadError';
  }
}

/** One line for an unknown thrown value. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? e.message;
  return String(e);
}

/** The whole message of a thrown value, whatever was thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
}
