/**
 * How the engine and the server put a thrown value into words. A model folder's refusals are
 * ModelLoadError (src/modelFolder/errors.ts).
 */

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
