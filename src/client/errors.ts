/** The one error type the engine client rejects with; `kind` says what went wrong. */
import type { EngineClientErrorKind } from './types';

export class EngineClientError extends Error {
  override readonly name = 'EngineClientError';

  constructor(
    readonly kind: EngineClientErrorKind,
    message: string,
    /** JSON-RPC error code when kind is `server` (see ErrorCodes in the protocol). */
    readonly code?: number,
    /** The server's error data, if any (ModelLoadFailed carries `{ path }`). */
    readonly data?: unknown,
  ) {
    super(message);
  }
}
