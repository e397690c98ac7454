/**
 * A thrown value in words: the one wording every layer uses when it logs, reports or wraps an
 * error it did not make.
 */

/** The whole message: an Error's message, a thrown string as it is, anything else as JSON. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
}

/** The first line of the message: for a one-line log entry or status. */
export function firstLineOf(error: unknown): string {
  const message = errorMessage(error);
  return message.split('\n')[0] ?? message;
}
