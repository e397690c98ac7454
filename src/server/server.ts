/**
 * The request handlers of the inference server: model loading, infills through the scheduler,
 * status, shutdown. Transport-agnostic (takes a MessageConnection) so tests can run it in-process.
 */
import * as path from 'path';
import { ErrorCodes as RpcErrorCodes, ResponseError, type MessageConnection } from 'vscode-jsonrpc';
import type { EngineLoadOptions, InfillInput, InfillProgress, LoadedEngine } from '../engine/api';
import { ModelLoadError, errorMessage } from '../engine/errors';
import { findFolderProblem, resolveModelDir } from '../engine/model/folder';
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

export function startServer(connection: MessageConnection, deps: ServerDeps): RunningServer {
  let state: EngineState = { kind: 'idle' };
  let shutdownReceived = false;

  connection.onRequest(InitializeRequest.type, async (raw) => {
    const params = checked(() => validateInitializeParams(raw));
    const modelDir = resolveModelDir(params.modelDir, deps.bundledModelDir);
    switch (state.kind) {
      case 'ready':
        if (state.result.model.path === modelDir) return state.result;
        throw new ResponseError(
          RpcErrorCodes.InvalidRequest,
          `Already initialized with the model in "${state.result.model.path}"; restart the server to load "${modelDir}".`,
        );
      case 'loading':
        throw new ResponseError(RpcErrorCodes.InvalidRequest, `The model in "${state.modelDir}" is still loading.`);
      case 'shutDown':
        throw new ResponseError(RpcErrorCodes.InvalidRequest, 'The server is shutting down.');
    }
    state = { kind: 'loading', modelDir };
    let engine: LoadedEngine;
    try {
      const problem = await findFolderProblem(modelDir);
      if (problem) throw new Error(problem);
      engine = await deps.loadEngine({
        modelDir,
        device: params.device,
        threads: params.threads,
        contextCacheBytes: params.contextCacheMiB === undefined ? undefined : params.contextCacheMiB * 2 ** 20,
        cachedRefreshEvery: params.cachedRefreshEvery,
        log: (message) => deps.log('info', message),
      });
    } catch (error) {
      const message = `Cannot load the model in "${modelDir}": ${loadFailureReason(error, modelDir)}`;
      state = { kind: 'failed', message };
      deps.log('error', message);
      throw new ResponseError(ErrorCodes.ModelLoadFailed, message, { path: modelDir });
    }
    if (shutdownReceived) {
      await engine.dispose();
      throw new ResponseError(RpcErrorCodes.InvalidRequest, 'The server is shutting down.');
    }
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
    state = { kind: 'ready', engine, scheduler, result };
    engine.onLost?.((reason) => {
      deps.log('error', `The engine stopped: ${reason}`);
      deps.exit(1, `the engine stopped (${reason}); the client starts a new process`);
    });
    const threads = engine.device.threads ? `, ${engine.device.threads} threads` : '';
    deps.log(
      'info',
      `Model ${engine.model.name} (${engine.model.contract}) from "${engine.model.path}" ready on ` +
        `${engine.device.provider}${threads} after ${result.startupMs} ms` +
        (params.clientName ? ` for ${params.clientName}` : ''),
    );
    for (const warning of engine.warnings) deps.log('warn', warning);
    return result;
  });

  connection.onRequest(InfillRequest.type, async (raw, token) => {
    if (state.kind !== 'ready') throw notReady(state);
    const { scheduler } = state;
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
    const progressToken = params.progressToken;
    const onProgress =
      progressToken === undefined
        ? undefined
        : (p: InfillProgress) => {
            connection.sendNotification(InfillProgressNotification.type, { token: progressToken, value: p }).catch((error) => {
              deps.log('debug', `Progress notification not sent: ${errorMessage(error)}`);
            });
          };
    try {
      return await scheduler.submit({ input, mode: params.mode, token, onProgress });
    } catch (error) {
      const message = `Infill failed: ${errorMessage(error)}`;
      deps.log('error', error instanceof Error && error.stack ? `${message}\n${error.stack}` : message);
      throw new ResponseError(RpcErrorCodes.InternalError, message);
    }
  });

  connection.onNotification(DocumentClosedNotification.type, (raw) => {
    if (state.kind !== 'ready') return;
    try {
      state.engine.forgetDocument(validateDocumentClosedParams(raw).document);
    } catch (error) {
      // A notification has no answer: a malformed one is only logged.
      deps.log('warn', `Ignored ${DocumentClosedNotification.method}: ${errorMessage(error)}`);
    }
  });

  connection.onRequest(StatusRequest.type, () => {
    const memory = process.memoryUsage();
    const scheduler = state.kind === 'ready' ? state.scheduler : undefined;
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
      uptimeMs: Math.round(deps.now()),
    };
  });

  connection.onRequest(ShutdownRequest.type, async () => {
    shutdownReceived = true;
    const previous = state;
    state = { kind: 'shutDown' };
    if (previous.kind !== 'ready') return;
    // Let the running pass finish before the session is released underneath it.
    previous.scheduler.cancelAll();
    await previous.scheduler.whenIdle();
    try {
      await previous.engine.dispose();
    } catch (error) {
      deps.log('warn', `Releasing the model failed: ${errorMessage(error)}`);
    }
  });

  connection.onNotification(ExitNotification.type, () => {
    deps.exit(0, 'exit requested by the client');
  });

  connection.onClose(() => {
    // The client died or closed our stdin: nobody is left to answer to.
    deps.exit(shutdownReceived ? 0 : 1, 'the connection to the client closed (stdin ended)');
  });

  return {
    get shutDown() {
      return shutdownReceived;
    },
  };
}

/** The engine's reason, with the file at fault named relative to the model folder. */
function loadFailureReason(error: unknown, modelDir: string): string {
  if (!(error instanceof ModelLoadError)) return errorMessage(error);
  const file = path.relative(modelDir, error.path);
  if (file === '') return error.reason;
  return file.startsWith('..') || path.isAbsolute(file) ? `${error.path}: ${error.reason}` : `${file}: ${error.reason}`;
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
