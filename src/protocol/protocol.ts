/**
 * The messages between the extension host (client) and the inference child process (server).
 *
 * JSON-RPC 2.0 with LSP-style `Content-Length` framing over stdio, provided by `vscode-jsonrpc`.
 * Cancellation uses the library's built-in `$/cancelRequest`. Every message and every value list
 * lives in this file, and validate.ts checks incoming parameters against it; both sides import
 * these and nothing else from each other.
 *
 * This module is plain TypeScript: no `vscode`, no onnxruntime.
 */
/* eslint-disable @typescript-eslint/no-namespace -- one namespace per message (method, types), as in vscode-eslint's protocol file */
import { NotificationType, NotificationType0, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { CachedModeInfo, CachedModeParams } from './cachedMode';
import type { FirstPassDump } from './firstPass';
import type { LengthChoiceStats } from './lengthChoice';
import { PREFIX_SHARE, REMASK_MODES, SAMPLER_KINDS, type RemaskMode, type SamplerKind } from './decoding';

/** Which hardware the client asks for. `auto` tries the platform's GPU providers, then CPU. */
export const deviceSettings = ['auto', 'cpu', 'gpu'] as const;
export type DeviceSetting = (typeof deviceSettings)[number];

/**
 * The sampler family, named by the decoder's contract (src/protocol/decoding.json); all share one
 * denoising loop, and src/engine/sampler/policies.ts says which rules each kind composes. The
 * settings' `dllm.sampler.kind` enum in package.json lists the same names (a unit test holds them equal).
 */
export const samplerKinds = SAMPLER_KINDS;
export type { SamplerKind };

/** saber: when backtracking re-masks (the decoder's contract names them). */
export const remaskModes = REMASK_MODES;
export type { RemaskMode };

/** How an infill is scheduled (see InfillRequest.Params.mode). */
export const infillModes = ['inline', 'command'] as const;
export type InfillMode = (typeof infillModes)[number];

/**
 * The largest values a request may carry. Larger canvases or budgets are never meaningful; anything
 * above is a caller bug. Clients (the command line) name their own options after these.
 */
export const requestLimits = { tokens: 4096, threads: 1024, temperature: 100, contextCacheMiB: 65536 } as const;

/**
 * The context cache's memory when `initialize` does not say: a document's keys and values take
 * 2 × layers × heads × headDim × 4 bytes per context token (12 KiB for 6 layers of 4 × 64; a
 * 1536-token window, 18 MiB), so this keeps the few documents being edited.
 */
export const contextCacheDefaultMiB = 64;

/**
 * When the text on both sides of the cursor is longer than the model reads, the prefix gets this
 * share of the window: the client's character cut and the server's token fit use the same rule
 * (the decoder's contract states it).
 */
export const prefixShare = PREFIX_SHARE;

/**
 * How much of each side fits in a window of `total` (characters or tokens): the prefix keeps up to
 * its share, a side that needs less than its share leaves the rest to the other.
 */
export function splitWindow(total: number, prefixLength: number, suffixLength: number): { prefix: number; suffix: number } {
  const t = Math.max(0, Math.floor(total));
  const prefix = Math.min(prefixLength, Math.max(Math.floor(t * prefixShare), t - suffixLength));
  return { prefix, suffix: Math.min(suffixLength, t - prefix) };
}

/** Tunables of the sampler. Anything left out takes the engine's default. */
export interface SamplerOptions {
  kind: SamplerKind;
  /** saber: never commit fewer than this many positions per pass (paper: 2). */
  minPerStep?: number;
  /** saber: re-mask ceil(|committed this pass| / mu) positions (paper: 8). */
  remaskDivisor?: number;
  /** saber: `always` re-masks every pass as published; `onDrop` only positions whose probability fell; `off` disables. */
  remask?: RemaskMode;
  /** threshold: commit every position whose confidence exceeds this (Fast-dLLM: 0.9). */
  threshold?: number;
  /** Softmax temperature for choosing candidate tokens; 0 = argmax (default). */
  temperature?: number;
  /** Seed of the random source, so a run can be replayed exactly. */
  seed?: number;
}

/** Facts about the loaded model, as its manifest states them, and the mode it runs in. */
export interface ModelInfo extends CachedModeInfo {
  name: string;
  /** Absolute path of the model folder. */
  path: string;
  contract: 'split' | 'full';
  vocabSize: number;
  maxContextTokens: number;
  maxCanvasTokens: number;
  /** Bytes on disk of the files the manifest names (graphs, their weights, the tokenizer). */
  sizeBytes: number;
  /** The published family of a converted checkpoint (`dream`, `llada`); absent for the extension's own models. */
  family?: string;
}

/** The execution provider actually in use. */
export interface DeviceInfo {
  /** onnxruntime execution provider name, e.g. `cpu`, `cuda`, `webgpu`, `dml`, `coreml`. */
  provider: string;
  kind: 'cpu' | 'gpu';
  /** Intra-op threads on CPU; absent on GPU providers. */
  threads?: number;
}

/** Sent by: client, first. Loads the model; fails with a message naming the path and the reason. */
export namespace InitializeRequest {
  export const method = 'initialize';
  export interface Params extends CachedModeParams {
    /** Model folder holding `dllm.json`; empty or absent = the bundled model. */
    modelDir?: string;
    device: DeviceSetting;
    /** CPU intra-op threads; 0 or absent = engine's choice. */
    threads?: number;
    clientName?: string;
    /** Memory for documents' cached context keys and values, MiB; 0 turns the cache off; absent = `contextCacheDefaultMiB`. */
    contextCacheMiB?: number;
  }
  export interface Result {
    model: ModelInfo;
    device: DeviceInfo;
    /** Non-fatal problems, e.g. "GPU provider cuda failed to start: …; using CPU". */
    warnings: string[];
    /** Milliseconds from process start to model ready. */
    startupMs: number;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** Sent by: client. Asks the server to release the model; `exit` follows. */
export namespace ShutdownRequest {
  export const method = 'shutdown';
  export const type = new RequestType0<void, void>(method);
}

/** Sent by: client, after `shutdown`. The server process exits. */
export namespace ExitNotification {
  export const method = 'exit';
  export const type = new NotificationType0(method);
}

/** Why a completion ended. */
export type FinishReason =
  /** The model committed `<pad>` (or eos), or filled a growing canvas short of its cap: the middle is complete. */
  | 'stop'
  /** The canvas filled up without a `<pad>`: the text may continue. */
  | 'length'
  /**
   * Cancelled (`$/cancelRequest`) or superseded by a newer inline request; `text` holds whatever
   * was committed so far. Cancellation is a result, never an error: the server answers a
   * cancelled `dllm/infill` with this finish reason, not with RequestCancelled.
   */
  | 'cancelled';

/** Statistics of one infill, for the status bar, the log and the benchmarks. */
export interface InfillStats {
  forwardPasses: number;
  /** Canvas positions committed as real tokens (not `<pad>`) in the final text. */
  tokens: number;
  /** Positions committed per forward pass, `<pad>` included. */
  tokensPerForward: number;
  /** Positions re-masked by backtracking over the whole run. */
  remasked: number;
  promptTokens: number;
  /**
   * Of the prompt tokens, those run through the context graph for this request, and those whose
   * keys and values came from the document's context cache (`InfillRequest.Params.document`).
   * Without the cache every prompt token is encoded. A converted model's cached mode counts its
   * first pass: the tokens it could not take from the document's last request, and those it took;
   * the full graph alone: 0 and 0.
   */
  contextEncoded: number;
  contextReused: number;
  canvasTokens: number;
  tokenizeMs: number;
  /** Time of the context pass (split) — 0 for the full contract. */
  encodeMs: number;
  denoiseMs: number;
  totalMs: number;
  device: string;
  /** How the canvas length was chosen, where the model chooses it (`canvasTokens` is the chosen length). */
  lengthChoice?: LengthChoiceStats;
  /**
   * Where the model grows and shrinks its canvas (`lengthTokens`): expand tokens applied (each one
   * masked position more) and delete tokens applied (each one fewer). `canvasTokens` is the final length.
   */
  lengthEdits?: { expanded: number; deleted: number };
}

/** Statistics of an infill that never reached the model (cancelled while queued or before it was sent). */
export function statsOfUnrunInfill(device: string): InfillStats {
  return {
    forwardPasses: 0,
    tokens: 0,
    tokensPerForward: 0,
    remasked: 0,
    promptTokens: 0,
    contextEncoded: 0,
    contextReused: 0,
    canvasTokens: 0,
    tokenizeMs: 0,
    encodeMs: 0,
    denoiseMs: 0,
    totalMs: 0,
    device,
  };
}

/**
 * Sent by: client. Fill the middle between `prefix` and `suffix`.
 *
 * Text in both directions has LF line ends only: a `\r` in `prefix` or `suffix` is rejected; `text`
 * and progress text never hold one (the engine's `outputText`). Clients convert at their edge.
 * Its size is bounded (messageSize.ts): the client sends the text near the cursor, cut to about
 * what the model reads (src/completion/contextWindow.ts); the server fits it to `maxContextTokens`.
 */
export namespace InfillRequest {
  export const method = 'dllm/infill';
  export interface Params {
    /** Text before the cursor, LF line ends. */
    prefix: string;
    /** Text after the cursor, LF line ends. */
    suffix: string;
    /** VS Code language id (`python`, `typescript`, …) or empty. */
    language?: string;
    /** Canvas length: the most tokens the middle may have (the server caps it at the model's maxCanvasTokens). */
    maxTokens: number;
    /** The most forward passes to spend; the sampler finishes the canvas within it. */
    stepBudget: number;
    sampler: SamplerOptions;
    /**
     * `inline` requests supersede each other: a new one cancels every older inline request,
     * so typing never queues stale work. `command` requests are never superseded.
     */
    mode: InfillMode;
    /** When set, the server sends `$/progress` with this token after every forward pass. */
    progressToken?: string;
    /**
     * The document the request completes in (its URI). A model whose context can be extended
     * (`contextAttention` `causalSuffixFirst`) keeps the keys and values of the document's last
     * request and encodes only the tokens that changed since; `DocumentClosedNotification`
     * releases them. Absent: nothing is kept.
     */
    document?: string;
    /** Return the first pass's canvas logits (`Result.firstPass`); for checking a model, not for editors. */
    dumpFirstPass?: boolean;
  }
  export interface Result {
    /** The middle, LF line ends. */
    text: string;
    finishReason: FinishReason;
    stats: InfillStats;
    /** Present when the request asked for `dumpFirstPass` and a pass ran. */
    firstPass?: FirstPassDump;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** Sent by: client. The document was closed: the server forgets its cached context. */
export namespace DocumentClosedNotification {
  export const method = 'dllm/documentClosed';
  export interface Params {
    document: string;
  }
  export const type = new NotificationType<Params>(method);
}

/** Sent by: client. The server's health and counters, for "Show Statistics" and the tests. */
export namespace StatusRequest {
  export const method = 'dllm/status';
  export interface Result {
    /** Resident set size of the server process, bytes. */
    rssBytes: number;
    heapUsedBytes: number;
    /** Infill requests received / run to the end / cancelled or superseded. */
    received: number;
    completed: number;
    cancelled: number;
    /** Requests waiting or running now. */
    inFlight: number;
    /**
     * How long the infill running now has run, in milliseconds (0 when none). The engine runs in
     * its own thread, so status answers during a pass; a value far past every request deadline
     * means a pass that never returns, and the client restarts the process.
     */
    runningForMs: number;
    /** How long ago the running infill was cancelled without stopping yet (0 if it was not). It
     *  stops after its current pass, so seconds here mean a pass that does not return. */
    cancelledForMs: number;
    uptimeMs: number;
  }
  export const type = new RequestType0<Result, void>(method);
}

/** Sent by: server, during an infill that asked for progress. The partially denoised middle. */
export namespace InfillProgressNotification {
  export const method = '$/progress';
  export interface Params {
    token: string;
    value: {
      /** Committed text so far; masked positions are shown as `maskGlyph`. */
      text: string;
      forwardPasses: number;
      committed: number;
      canvasTokens: number;
    };
  }
  export const type = new NotificationType<Params>(method);
}

/** Sent by: server. A log line for the client's output channel. */
export namespace LogNotification {
  export const method = 'dllm/log';
  export interface Params {
    level: 'error' | 'warn' | 'info' | 'debug';
    message: string;
  }
  export const type = new NotificationType<Params>(method);
}

/** The glyph shown for still-masked positions in progress text. */
export const maskGlyph = '░';

/** JSON-RPC error codes the server uses beyond the standard ones. */
export const ErrorCodes = {
  /** The model folder is missing, corrupt or does not match its manifest. */
  ModelLoadFailed: -32001,
  /** `dllm/infill` before a successful `initialize`. */
  NotInitialized: -32002,
  /** Parameters out of range (canvas too long, negative budget, …). */
  InvalidParams: -32602,
} as const;

/**
 * Transport: the client sends on the server's stdin. The server answers on the pipe whose file
 * descriptor this environment variable names (the client opens it as fd 3), else on stdout. A
 * dedicated pipe keeps native writes to fd 1 out of the framing.
 */
export const protocolFdVariable = 'DLLM_PROTOCOL_FD';
