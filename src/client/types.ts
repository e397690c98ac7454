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
  /** Node options placed before the server module (e.g. `--max-old-space-size=4096`). */
  execArgv?: string[];
  /** Extra environment for the child. */
  env?: Record<string, string>;
  /** Working directory of the child; default the caller's. Relative model paths resolve against it. */
  cwd?: string;
  /** Per-request deadlines in milliseconds; a request past its deadline is cancelled and rejects. */
  deadlines?: Partial<RequestDeadlines>;
  /** How long stop() waits for a clean exit before SIGKILL (default 2000 ms). */
  stopGraceMs?: number;
  /** Server log lines (LogNotification) and the child's stderr. */
  onLog?: (entry: LogNotification.Params) => void;
  /** A request got no answer within its deadline (it was cancelled and rejected). */
  onDeadline?: (method: string) => void;
  /** The child exited (crash or normal); pending requests have already been rejected. */
  onExit?: (info: { code: number | null; signal: NodeJS.Signals | null; expected: boolean }) => void;
}

/** Deadlines in milliseconds. Defaults: initialize 120 000, inline 10 000, command 60 000, status 5 000, shutdown 2 000. */
export interface RequestDeadlines {
  initialize: number;
  /** `dllm/infill` with mode `inline`. */
  inline: number;
  /** `dllm/infill` with mode `command`. */
  command: number;
  status: number;
  shutdown: number;
}

/**
 * How requests fail (see EngineClientError in engineClient.ts): `exited` — the child died while the
 * request was pending (rejected at once); `deadline` — no answer in time; `notRunning` — sent after
 * the child had gone; `server` — the server answered with a JSON-RPC error (`code` says which,
 * e.g. ErrorCodes.ModelLoadFailed); `refused` — the request breaks the protocol's size limit
 * (src/protocol/messageSize.ts) and was not sent. A cancelled infill does not fail: it resolves
 * with finishReason `cancelled`.
 */
export type EngineClientErrorKind = 'exited' | 'deadline' | 'notRunning' | 'server' | 'refused';

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
  /** Tells the server the document closed, so it drops what it kept for it; nothing to wait for. */
  documentClosed(document: string): void;
  /** shutdown + exit, then kill after a short grace period. */
  stop(): Promise<void>;
  /** Kill the child at once (tests, crash simulation). */
  kill(signal?: NodeJS.Signals): void;
  readonly running: boolean;
}

/** Implemented in src/client/engineClient.ts. */
export type StartEngineClient = (options: EngineClientOptions) => Promise<EngineClient>;
