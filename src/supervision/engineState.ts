/**
 * The engine's life as the rest of the extension sees it. No `vscode` import.
 */
import type { DeviceInfo, ModelInfo } from '../protocol/protocol';

export type EngineState =
  /**
   * Not running: not needed yet (it starts on first use), unloaded (`unloaded` says why: idle,
   * snoozed, turned off) or stopped on purpose (deactivation). The next request starts it.
   */
  | { kind: 'stopped'; unloaded?: string }
  /** The child is starting or loading the model. */
  | { kind: 'starting'; attempt: number }
  | { kind: 'ready'; pid: number; model: ModelInfo; device: DeviceInfo; warnings: string[]; startupMs: number }
  /** Crashed; a restart is scheduled. */
  | { kind: 'restarting'; reason: string; delayMs: number; attempt: number }
  /** Start-up failed for good (model did not load, or too many crashes). `Restart Engine` tries again. */
  | { kind: 'failed'; message: string };
