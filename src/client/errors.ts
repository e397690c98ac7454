/** The one error type the engine client rejects with (`kind` says what went wrong), and how others become it. */
import { ErrorCodes as RpcErrorCodes, ResponseError } from 'vscode-jsonrpc';
import { errorMessage } from '../base/errorText';
import { describeExit, type ExitInfo } from './processExit';
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

/** A request's failure as the client reports it; `exitInfo` once the child has gone. */
export function toClientError(error: unknown, method: string, exitInfo: ExitInfo | undefined): EngineClientError {
  if (error instanceof EngineClientError) return error;
  if (error instanceof ResponseError) {
    if (error.code === RpcErrorCodes.PendingResponseRejected || error.code === RpcErrorCodes.MessageWriteError) {
      const how = exitInfo ? describeExit(exitInfo) : 'the channel to the inference process closed';
      return new EngineClientError('exited', `${method} failed: ${how}.`, error.code);
    }
    return new EngineClientError('server', error.message, error.code, error.data);
  }
  return new EngineClientError('server', `${method} failed: ${errorMessage(error)}`);
}
