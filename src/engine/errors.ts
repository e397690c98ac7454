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

/** An infill request the engine cannot run (out-of-range numbers and the like). */
export class InfillInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfillInputError';
  }
}

/** One line for an unknown thrown value. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? e.message;
  return String(e);
}
