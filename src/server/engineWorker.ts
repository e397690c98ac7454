/**
 * The engine runs in a worker thread of the inference process, so the main thread (the JSON-RPC
 * channel) stays responsive while onnxruntime runs a pass synchronously: cancel, status and
 * shutdown are answered at once, and a pass that never returns can be seen and reported.
 *
 * `engineInWorker` is the main thread's side: a `loadEngine` whose engine is a proxy. `serveEngine`
 * is the worker's side: it loads the real engine and runs one infill at a time. A job is cancelled
 * through a shared flag the worker reads between forward passes (a message would wait for the
 * pass, and the next ones, to finish).
 */
import { Worker, parentPort } from 'node:worker_threads';
import type { EngineLoadOptions, InfillControl, InfillInput, InfillOutput, InfillProgress, LoadedEngine } from '../engine/api';
import { ModelLoadError } from '../modelFolder/errors';
import type { DeviceInfo, ModelInfo } from '../protocol/protocol';

type LoadSettings = Omit<EngineLoadOptions, 'log'>;

/** A thrown error as it crosses the thread boundary; the kinds the server maps to error codes survive. */
type WireError =
  | { kind: 'modelLoad'; path: string; reason: string }
  | { kind: 'other'; message: string; stack?: string };

type ToWorker =
  | { type: 'load'; options: LoadSettings }
  | { type: 'infill'; id: number; input: InfillInput; cancelFlag: SharedArrayBuffer; progress: boolean }
  | { type: 'forget'; document: string }
  | { type: 'dispose' };

type FromWorker =
  | { type: 'log'; message: string }
  | { type: 'loaded'; model: ModelInfo; device: DeviceInfo; warnings: string[] }
  | { type: 'loadFailed'; error: WireError }
  | { type: 'progress'; id: number; progress: InfillProgress }
  | { type: 'done'; id: number; output: InfillOutput }
  | { type: 'failed'; id: number; error: WireError }
  | { type: 'disposed' };

function toWire(error: unknown): WireError {
  if (error instanceof ModelLoadError) return { kind: 'modelLoad', path: error.path, reason: error.reason };
  if (error instanceof Error) return { kind: 'other', message: error.message, stack: error.stack };
  return { kind: 'other', message: String(error) };
}

function fromWire(error: WireError): Error {
  switch (error.kind) {
    case 'modelLoad':
      return new ModelLoadError(error.path, error.reason);
    default: {
      const rebuilt = new Error(error.message);
      if (error.stack) rebuilt.stack = error.stack;
      return rebuilt;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Main thread

interface Job {
  control: InfillControl;
  resolve(output: InfillOutput): void;
  reject(error: Error): void;
}

/**
 * A `loadEngine` that loads the model in a new worker thread running `workerScript` (a script that
 * calls `serveEngine`). The worker lives as long as the engine: `dispose` ends it.
 */
export function engineInWorker(workerScript: string): (options: EngineLoadOptions) => Promise<LoadedEngine> {
  return (options) => {
    const worker = new Worker(workerScript);
    const { log, ...settings } = options;
    const jobs = new Map<number, Job>();
    let nextId = 0;
    let exitError: Error | undefined;
    let loaded: ((engine: LoadedEngine) => void) | undefined;
    let loadFailed: ((error: Error) => void) | undefined;
    let disposed: (() => void) | undefined;
    let disposing = false;
    const lostListeners: ((reason: string) => void)[] = [];

    const failAll = (error: Error): void => {
      if (exitError) return;
      exitError = error;
      for (const job of jobs.values()) job.reject(error);
      jobs.clear();
      loadFailed?.(error);
      disposed?.();
      if (!disposing) for (const listener of lostListeners) listener(error.message);
    };
    worker.on('error', (error) => failAll(new Error(`the engine thread failed: ${error.message}`)));
    worker.on('exit', (code) => failAll(new Error(`the engine thread exited with code ${code}`)));

    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'log':
          log?.(message.message);
          return;
        case 'loaded':
          loaded?.(proxy(message));
          return;
        case 'loadFailed':
          loadFailed?.(fromWire(message.error));
          return;
        case 'progress':
          jobs.get(message.id)?.control.onProgress?.(message.progress);
          return;
        case 'done':
          jobs.get(message.id)?.resolve(message.output);
          jobs.delete(message.id);
          return;
        case 'failed':
          jobs.get(message.id)?.reject(fromWire(message.error));
          jobs.delete(message.id);
          return;
        case 'disposed':
          disposed?.();
          return;
      }
    });

    const proxy = (info: { model: ModelInfo; device: DeviceInfo; warnings: string[] }): LoadedEngine => ({
      model: info.model,
      device: info.device,
      warnings: info.warnings,
      infill(input: InfillInput, control: InfillControl = {}): Promise<InfillOutput> {
        if (exitError) return Promise.reject(exitError);
        const id = ++nextId;
        const cancelFlag = new SharedArrayBuffer(4);
        const flag = new Int32Array(cancelFlag);
        const raise = (): void => void Atomics.store(flag, 0, 1);
        if (control.signal?.aborted) raise();
        control.signal?.addEventListener('abort', raise, { once: true });
        return new Promise<InfillOutput>((resolve, reject) => {
          const settle = (): void => control.signal?.removeEventListener('abort', raise);
          jobs.set(id, {
            control,
            resolve: (output) => (settle(), resolve(output)),
            reject: (error) => (settle(), reject(error)),
          });
          worker.postMessage({ type: 'infill', id, input, cancelFlag, progress: control.onProgress !== undefined } satisfies ToWorker);
        });
      },
      forgetDocument(document: string): void {
        if (!exitError) worker.postMessage({ type: 'forget', document } satisfies ToWorker);
      },
      onLost(listener: (reason: string) => void): void {
        lostListeners.push(listener);
      },
      async dispose(): Promise<void> {
        if (exitError) return;
        disposing = true;
        await new Promise<void>((resolve) => {
          disposed = resolve;
          worker.postMessage({ type: 'dispose' } satisfies ToWorker);
        });
        await worker.terminate();
      },
    });

    return new Promise<LoadedEngine>((resolve, reject) => {
      loaded = resolve;
      loadFailed = (error) => {
        void worker.terminate();
        reject(error);
      };
      worker.postMessage({ type: 'load', options: settings } satisfies ToWorker);
    });
  };
}

// ---------------------------------------------------------------------------------------------
// Worker thread

/** Runs in the worker thread: loads the engine with `loadEngine` when asked and serves its infills. */
export function serveEngine(loadEngine: (options: EngineLoadOptions) => Promise<LoadedEngine>): void {
  const port = parentPort;
  if (!port) throw new Error('serveEngine must run in a worker thread');
  const send = (message: FromWorker): void => port.postMessage(message);
  let engine: LoadedEngine | undefined;
  // The engine runs one infill at a time; the main thread's scheduler already queues them.
  let queue: Promise<unknown> = Promise.resolve();

  port.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'load':
        void loadEngine({ ...message.options, log: (line) => send({ type: 'log', message: line }) }).then(
          (loadedEngine) => {
            engine = loadedEngine;
            send({ type: 'loaded', model: loadedEngine.model, device: loadedEngine.device, warnings: [...loadedEngine.warnings] });
          },
          (error: unknown) => send({ type: 'loadFailed', error: toWire(error) }),
        );
        return;
      case 'infill': {
        const { id, input, progress } = message;
        const flag = new Int32Array(message.cancelFlag);
        const control: InfillControl = {
          isCancelled: () => Atomics.load(flag, 0) !== 0,
          onProgress: progress ? (p) => send({ type: 'progress', id, progress: p }) : undefined,
        };
        queue = queue.then(async () => {
          try {
            if (!engine) throw new Error('the engine is not loaded');
            send({ type: 'done', id, output: await engine.infill(input, control) });
          } catch (error) {
            send({ type: 'failed', id, error: toWire(error) });
          }
        });
        return;
      }
      case 'forget':
        // After the infill running now, which may still be filling the document's entry.
        queue = queue.then(() => engine?.forgetDocument(message.document));
        return;
      case 'dispose':
        queue = queue.then(async () => {
          try {
            await engine?.dispose();
          } finally {
            engine = undefined;
            send({ type: 'disposed' });
          }
        });
        return;
    }
  });
}
