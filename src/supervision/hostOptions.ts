/**
 * What the engine host is given: the settings each start reads, what it shows the user, its log,
 * and how closely it watches the child (with the defaults). No `vscode` import.
 */
import type { RequestDeadlines } from '../client/types';
import type { DeviceSetting, LogNotification } from '../protocol/protocol';
import { defaultCrashPolicy, type CrashPolicyOptions } from './crashPolicy';

/** The engine settings a start uses (read afresh for every child). */
export interface EngineSettings {
  /** Absolute model folder; empty: the bundled model. */
  modelPath: string;
  device: DeviceSetting;
  /** 0: the engine's choice. */
  threads: number;
  /** Memory for documents' cached contexts, MiB; 0: none; absent: the engine's default. */
  contextCacheMiB?: number;
  /** Passes between a cached-mode model's context refreshes; 0: exact mode; absent: the engine's default. */
  cachedRefreshEvery?: number;
}

/** What the host shows the user; the extension implements it with VS Code's notifications. */
export interface EngineHostUi {
  /** The engine runs, but not as asked (e.g. on the CPU although the GPU was asked for). */
  warn(message: string): void;
  /** The engine stopped for good; `Restart Engine` tries again. */
  failed(message: string): void;
}

export interface HostLog {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** How closely the host watches the child. */
export interface SupervisionOptions {
  /** A status check this often while the engine is ready (one also follows every missed deadline). */
  healthIntervalMs: number;
  /** An infill cancelled this long ago that still runs is stuck in a pass: restart. */
  stuckAfterCancelMs: number;
  /** An infill running this long (far past every request deadline) is stuck: restart. */
  stuckAfterMs: number;
  /** Starts in a row that never became ready before giving up (a crash counts as one, a hung load too). */
  maxFailedStarts: number;
  crashPolicy: CrashPolicyOptions;
  deadlines?: Partial<RequestDeadlines>;
}

export const defaultSupervision: SupervisionOptions = {
  healthIntervalMs: 30_000,
  stuckAfterCancelMs: 20_000,
  stuckAfterMs: 120_000,
  maxFailedStarts: 3,
  crashPolicy: defaultCrashPolicy,
};

export interface EngineHostOptions {
  /** Absolute path of dist/server.js. */
  serverModule: string;
  /** Names the client in the server's log (e.g. `vscode 1.100.3`). */
  clientName: string;
  settings: () => EngineSettings;
  log: HostLog;
  /** Lines from the child (its log notifications, stderr and stdout). */
  onEngineLog: (entry: LogNotification.Params) => void;
  ui: EngineHostUi;
  supervision?: Partial<SupervisionOptions>;
  /** For tests: Node options and environment of the child. */
  execArgv?: string[];
  env?: Record<string, string>;
}
