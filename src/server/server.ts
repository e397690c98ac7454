/**
 * The request handlers of the inference server: model loading, infills through the scheduler,
 * status, shutdown. Transport-agnostic (takes a MessageConnection) so tests can run it in-process.
 */
import { ErrorCodes as RpcErrorCodes, ResponseError, type CancellationToken, type MessageConnection } from 'vscode-jsonrpc';
import type { EngineLoadOptions, InfillInput, InfillProgress, LoadedEngine } from '../engine/api';
import { errorMessage } from '../base/errorText';
import { ModelLoadError } from '../modelFolder/errors';
import { refusalInFolder } from '../modelFolder/check';
import { readManifestJson, resolveModelDir } from '../modelFolder/folder';
import {
  DocumentClosedNotification,
  ErrorCodes,
  ExitNotification,
  InfillProgressNotification,
  InfillRequest,
  InitializeRequest,
  ShutdownRequest,
  StatusRequest,
  statsOfUnrunInfill,
  type LogNotification,
} from '../protocol/protocol';
import { InfillScheduler } from './scheduler';
import { InvalidParamsError, validateDocumentClosedParams, validateInfillParams, validateInitializeParams } from '../protocol/validate';

export type ServerLog = (level: LogNotification.Params['level'], message: string) => void;

export interface ServerDeps {
  loadEngine(options: EngineLoadOptions): Promise<LoadedEngine>;
  /** Folder of the model used when `initialize` names none. */
  bundledModelDir: string;
  log: ServerLog;
  /** Ends the process; injected so tests can watch it instead of dying. */
  exit(code: number, reason: string): void;
  /** Milliseconds since the process started (performance.now() in a real process). */
  now: () => number;
}

type EngineState =
  | { kind: 'idle' }
  | { kind: 'loading'; modelDir: string }
  | { kind: 'failed'; message: string }
  | { kind: 'ready'; engine: LoadedEngine; scheduler: InfillScheduler; result: InitializeRequest.Result }
  | { kind: 'shutDown' };

export interface RunningServer {
  /** True once `shutdown` was received. */
  readonly shutDown: boolean;
}

/** Wires the handlers to the connection; each request's work is one method of InferenceServer. */
export function startServer(connection: MessageConnection, deps: ServerDeps): RunningServer {
  const server = new InferenceServer(connection, deps);
  connection.onRequest(InitializeRequest.type, (raw) => server.initialize(raw));
  connection.onRequest(InfillRequest.type, (raw, token) => server.infill(raw, token));
  connection.onNotification(DocumentClosedNotification.type, (raw) => server.documentClosed(raw));
  connection.onRequest(StatusRequest.type, () => server.status());
  connection.onRequest(ShutdownRequest.type, () => server.shutdown());
  connection.onNotification(ExitNotification.type, () => {
    deps.exit(0, 'exit requested by the client');
  });
  connection.onClose(() => {
    // The client died or closed our stdin: nobody is left to answer to.
    deps.exit(server.shutDown ? 0 : 1, 'the connection to the client closed (stdin ended)');
  });
  return server;
}

/** The server's state (the engine's, from idle to shut down) and what each request does with it. */
class InferenceServer implements RunningServer {
  private state: EngineState = { kind: 'idle' };
  private shutdownReceived = false;

  constructor(
    private readonly connection: MessageConnection,
    private readonly deps: ServerDeps,
  ) {}

  get shutDown(): boolean {
    return this.shutdownReceived;
  }

  /** Loads the model once; a repeat for the same folder gets the same answer. */
  async initialize(raw: InitializeRequest.Params): Promise<InitializeRequest.Result> {
    const params = checked(() => validateInitializeParams(raw));
    const modelDir = resolveModelDir(params.modelDir, this.deps.bundledModelDir);
    const earlier = this.earlierInitialize(modelDir);
    if (earlier) return earlier;
    this.state = { kind: 'loading', modelDir };
    const engine = await this.loadEngine(modelDir, params);
    if (this.shutdownReceived) {
      await engine.dispose();
      throw new ResponseError(RpcErrorCodes.InvalidRequest, 'The server is shutting down.');
    }
    return this.becomeReady(engine, params.clientName);
  }

  /** The answer already given for this folder, or the refusal of a second model, a load under way or a shutdown; undefined when a load may start. */
  private earlierInitialize(modelDir: string): InitializeRequest.Result | undefined {
    switch (this.state.kind) {
      case 'ready':
        if (this.state.result.model.path === modelDir) return this.state.result;
        throw new ResponseError(
          RpcErrorCodes.InvalidRequest,
          `Already initialized with the model in "${this.state.result.model.path}"; restart the server to load "${modelDir}".`,
        );
      case 'loading':
        throw new ResponseError(RpcErrorCodes.InvalidRequest, `The model in "${this.state.modelDir}" is still loading.`);
      case 'shutDown':
        throw new ResponseError(RpcErrorCodes.InvalidRequest, 'The server is shutting down.');
    }
    return undefined;
  }

  /** The engine for `modelDir`; a failure is remembered (later requests explain it) and answered as ModelLoadFailed. */
  private async loadEngine(modelDir: string, params: InitializeRequest.Params): Promise<LoadedEngine> {
    const { deps } = this;
    try {
      // The folder's own problems (no folder, no manifest, not JSON) before the engine loads.
      readManifestJson(modelDir);
      return await deps.loadEngine({
        modelDir,
        device: params.device,
        threads: params.threads,
        contextCacheBytes: params.contextCacheMiB === undefined ? undefined : params.contextCacheMiB * 2 ** 20,
        cachedRefreshEvery: params.cachedRefreshEvery,
        log: (message) => deps.log('info', message),
      });
    } catch (error) {
      const message = `Cannot load the model in "${modelDir}": ${loadFailureReason(error, modelDir)}`;
      this.state = { kind: 'failed', message };
      deps.log('error', message);
      throw new ResponseError(ErrorCodes.ModelLoadFailed, message, { path: modelDir });
    }
  }

  /** A loaded engine starts serving: its scheduler, its loss ending the process, the log's ready line. */
  private becomeReady(engine: LoadedEngine, clientName: string | undefined): InitializeRequest.Result {
    const { deps } = this;
    const result: InitializeRequest.Result = {
      model: engine.model,
      device: engine.device,
      warnings: [...engine.warnings],
      startupMs: Math.round(deps.now()),
    };
    const scheduler = new InfillScheduler(
      (input, control) => engine.infill(input, control),
      () => statsOfUnrunInfill(engine.device.provider),
      deps.now,
    );
    this.state = { kind: 'ready', engine, scheduler, result };
    engine.onLost?.((reason) => {
      deps.log('error', `The engine stopped: ${reason}`);
      deps.exit(1, `the engine stopped (${reason}); the client starts a new process`);
    });
    const threads = engine.device.threads ? `, ${engine.device.threads} threads` : '';
    deps.log(
      'info',
      `Model ${engine.model.name} (${engine.model.contract}) from "${engine.model.path}" ready on ` +
        `${engine.device.provider}${threads} after ${result.startupMs} ms` +
        (clientName ? ` for ${clientName}` : ''),
    );
    for (const warning of engine.warnings) deps.log('warn', warning);
    return result;
  }

  /** One infill through the scheduler, its progress sent when the request asked for it. */
  async infill(raw: InfillRequest.Params, token: CancellationToken): Promise<InfillRequest.Result> {
    if (this.state.kind !== 'ready') throw notReady(this.state);
    const { scheduler } = this.state;
    const params = checked(() => validateInfillParams(raw));
    // The engine cuts the window around the cursor and cleans the text (src/engine/window.ts).
    const input: InfillInput = {
      prefix: params.prefix,
      suffix: params.suffix,
      language: params.language,
      maxTokens: params.maxTokens,
      stepBudget: params.stepBudget,
      sampler: params.sampler,
      document: params.document,
      dumpFirstPass: params.dumpFirstPass,
    };
    try {
      return await scheduler.submit({ input, mode: params.mode, token, onProgress: this.progressSender(params.progressToken) });
    } catch (error) {
      const message = `Infill failed: ${errorMessage(error)}`;
      this.deps.log('error', error instanceof Error && error.stack ? `${message}\n${error.stack}` : message);
      throw new ResponseError(RpcErrorCodes.InternalError, message);
    }
  }

  /** Sends `$/progress` for `progressToken`; undefined when the request has none. */
  private progressSender(progressToken: string | undefined): ((p: InfillProgress) => void) | undefined {
    if (progressToken === undefined) return undefined;
    return (p) => {
      this.connection.sendNotification(InfillProgressNotification.type, { token: progressToken, value: p }).catch((error) => {
        this.deps.log('debug', `Progress notification not sent: ${errorMessage(error)}`);
      });
    };
  }

  documentClosed(raw: DocumentClosedNotification.Params): void {
    if (this.state.kind !== 'ready') return;
    try {
      this.state.engine.forgetDocument(validateDocumentClosedParams(raw).document);
    } catch (error) {
      // A notification has no answer: a malformed one is only logged.
      this.deps.log('warn', `Ignored ${DocumentClosedNotification.method}: ${errorMessage(error)}`);
    }
  }

  status(): StatusRequest.Result {
    const memory = process.memoryUsage();
    const scheduler = this.state.kind === 'ready' ? this.state.scheduler : undefined;
    const counters = scheduler?.counters ?? { received: 0, completed: 0, cancelled: 0 };
    return {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      received: counters.received,
      completed: counters.completed,
      cancelled: counters.cancelled,
      inFlight: scheduler?.inFlight ?? 0,
      runningForMs: Math.round(scheduler?.runningForMs ?? 0),
      cancelledForMs: Math.round(scheduler?.cancelledForMs ?? 0),
      uptimeMs: Math.round(this.deps.now()),
    };
  }

  /** Stops taking requests, lets the running pass finish, then releases the model. */
  async shutdown(): Promise<void> {
    this.shutdownReceived = true;
    const previous = this.state;
    this.state = { kind: 'shutDown' };
    if (previous.kind !== 'ready') return;
    // Let the running pass finish before the session is released underneath it.
    previous.scheduler.cancelAll();
    await previous.scheduler.whenIdle();
    try {
      await previous.engine.dispose();
    } catch (error) {
      this.deps.log('warn', `Releasing the model failed: ${errorMessage(error)}`);
    }
  }
}

/** The engine's reason, with the file at fault named relative to the model folder. */
function loadFailureReason(error: unknown, modelDir: string): string {
  return error instanceof ModelLoadError ? refusalInFolder(modelDir, error) : errorMessage(error);
}

/** Runs a validator, turning its complaint into a JSON-RPC InvalidParams error. */
function checked<T>(validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    if (error instanceof InvalidParamsError) throw new ResponseError(ErrorCodes.InvalidParams, error.message);
    throw error;
  }
}

function notReady(state: EngineState): ResponseError<void> {
  switch (state.kind) {
    case 'failed':
      return new ResponseError(ErrorCodes.NotInitialized, `No model is loaded. ${state.message}`);
    case 'loading':
      return new ResponseError(ErrorCodes.NotInitialized, `The model in "${state.modelDir}" is still loading.`);
    case 'shutDown':
      return new ResponseError(ErrorCodes.NotInitialized, 'The server is shutting down.');
    default:
      return new ResponseError(ErrorCodes.NotInitialized, 'No model is loaded yet: send initialize first.');
  }
}
