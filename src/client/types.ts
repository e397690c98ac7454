/**
 * The plain-Node client of the inference child process, shared by the VS Code extension,
 * the command line (`npm run complete`), the evaluation/benchmark scripts and the tests.
 * No `vscode` import: VS Code's CancellationToken is structurally compatible with `CancelSignal`.
 */
import type { InfillRequest, InitializeRequest, InfillProgressNotification, LogNotification, StatusRequest } from '../protocol/protocol';

/** Anything with VS Code's / vscode-jsonrpc's CancellationToken shape. */
export interface CancelSignal {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface EngineClientOptions {
  /** Path of the bundled server script (dist/server.js). */
  serverModule: string;
  /** Node runtime to start it with; default process.execPath (ELECTRON_RUN_AS_NODE=1 is set). */
  execPath?: string;
  /** Extra environment for the child. */
  env?: Record<string, string>;
  /** Server log lines (LogNotification) and the child's stderr. */
  onLog?: (entry: LogNotification.Params) => void;
  /** The child exited (crash or normal); pending requests have already been rejected. */
  onExit?: (info: { code: number | null; signal: NodeJS.Signals | null; expected: boolean }) => void;
}

export interface EngineClient {
  /** Process id of the child. */
  readonly pid: number;
  initialize(params: InitializeRequest.Params): Promise<InitializeRequest.Result>;
  infill(
    params: InfillRequest.Params,
    cancel?: CancelSignal,
    onProgress?: (value: InfillProgressNotification.Params['value']) => void,
  ): Promise<InfillRequest.Result>;
  status(): Promise<StatusRequest.Result>;
  /** shutdown + exit, then kill after a short grace period. */
  stop(): Promise<void>;
  /** Kill the child at once (tests, crash simulation). */
  kill(signal?: NodeJS.Signals): void;
  readonly running: boolean;
}

/** Implemented in src/client/engineClient.ts. */
export type StartEngineClient = (options: EngineClientOptions) => Promise<EngineClient>;
