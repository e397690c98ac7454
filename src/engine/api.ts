/**
 * The engine's public face: what the server (and the command-line tools) call.
 * Plain TypeScript; no `vscode` import.
 */
import type { DeviceInfo, DeviceSetting, InfillProgressNotification, InfillRequest, ModelInfo } from '../protocol/protocol';

export interface EngineLoadOptions {
  /** Folder holding `dllm.json`. */
  modelDir: string;
  device: DeviceSetting;
  /** CPU intra-op threads; 0/undefined = engine's choice. */
  threads?: number;
  /** Detail lines for the log while loading (e.g. each execution provider tried). */
  log?: (message: string) => void;
  /** Memory for documents' cached contexts, bytes; 0 turns the cache off; absent: the protocol's default. */
  contextCacheBytes?: number;
  /** A model with a cached mode refreshes its context keys/values every this many passes; 0: exact mode; absent: the protocol's default. */
  cachedRefreshEvery?: number;
}

/** What the engine fills: the request less its scheduling fields (validated: src/protocol/validate.ts). */
export type InfillInput = Omit<InfillRequest.Params, 'mode' | 'progressToken'>;

/** The partly denoised middle after each forward pass, as `$/progress` carries it. */
export type InfillProgress = InfillProgressNotification.Params['value'];

export interface InfillControl {
  /** Checked between forward passes; when true the loop stops with finishReason `cancelled`. */
  isCancelled?: () => boolean;
  /** Aborted when the job is cancelled (the same state as isCancelled, for those who must be told). */
  signal?: AbortSignal;
  /** Called after every forward pass. */
  onProgress?: (p: InfillProgress) => void;
}

export type InfillOutput = InfillRequest.Result;

export interface LoadedEngine {
  readonly model: ModelInfo;
  readonly device: DeviceInfo;
  readonly warnings: readonly string[];
  infill(input: InfillInput, control?: InfillControl): Promise<InfillOutput>;
  /** Drops what is kept for `document` (its cached context); a document never seen is ignored. */
  forgetDocument(document: string): void;
  dispose(): Promise<void>;
  /**
   * An engine that runs elsewhere (a worker thread) calls `listener` if it dies; it cannot serve
   * again, so the server exits and the client starts a fresh process.
   */
  onLost?(listener: (reason: string) => void): void;
}
