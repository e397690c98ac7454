/**
 * The engine's public face: what the server (and the command-line tools) call.
 * Plain TypeScript; no `vscode` import.
 */
import type { DeviceInfo, DeviceSetting, FinishReason, InfillStats, ModelInfo, SamplerOptions } from '../protocol/protocol';

export interface EngineLoadOptions {
  /** Folder holding `dllm.json`. */
  modelDir: string;
  device: DeviceSetting;
  /** CPU intra-op threads; 0/undefined = engine's choice. */
  threads?: number;
  /** Detail lines for the log while loading (e.g. each execution provider tried). */
  log?: (message: string) => void;
}

export interface InfillInput {
  prefix: string;
  suffix: string;
  language?: string;
  /** Canvas length in tokens (clamped to the model's maxCanvasTokens). */
  maxTokens: number;
  /** Most forward passes to spend. */
  stepBudget: number;
  sampler: SamplerOptions;
}

export interface InfillProgress {
  /** Committed text so far, masked positions shown as the protocol's mask glyph. */
  text: string;
  forwardPasses: number;
  committed: number;
  canvasTokens: number;
}

export interface InfillControl {
  /** Checked between forward passes; when true the loop stops with finishReason `cancelled`. */
  isCancelled?: () => boolean;
  /** Aborted when the job is cancelled (the same state as isCancelled, for those who must be told). */
  signal?: AbortSignal;
  /** Called after every forward pass. */
  onProgress?: (p: InfillProgress) => void;
}

export interface InfillOutput {
  text: string;
  finishReason: FinishReason;
  stats: InfillStats;
}

export interface LoadedEngine {
  readonly model: ModelInfo;
  readonly device: DeviceInfo;
  readonly warnings: readonly string[];
  infill(input: InfillInput, control?: InfillControl): Promise<InfillOutput>;
  dispose(): Promise<void>;
  /**
   * An engine that runs elsewhere (a worker thread) calls `listener` if it dies; it cannot serve
   * again, so the server exits and the client starts a fresh process.
   */
  onLost?(listener: (reason: string) => void): void;
}
