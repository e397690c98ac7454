/**
 * What `activate` returns: a small, read-only window into the extension for the VS Code test
 * suite (`vscode.extensions.getExtension('dllm-complete.dllm-complete').exports`).
 * Types only, no `vscode` import, so tests can import it freely.
 */
import type { InfillStats } from '../protocol/protocol';
import type { InlineOutcome } from '../editor/activity';
import type { EngineState } from '../supervision/engineState';
import type { CommandOutcome } from './infillCommands';
import type { PendingView } from './proposals';
import type { Health } from '../editor/statusModel';

export type { CommandOutcome, EngineState, Health, InlineOutcome, PendingView };

/** The engine as the extension sees it. */
export interface EngineView {
  readonly state: EngineState;
  /** Process id of the inference child, while it runs. */
  readonly pid: number | undefined;
  /** Children started after the first (crash restarts, Restart Engine, device/model/threads changes), not reloads after an unload. */
  readonly restarts: number;
  /** Times the engine was unloaded (idle, snoozed, turned off). */
  readonly unloads: number;
}

/** What the extension has asked of the engine, and how it ended. */
export interface ActivityView {
  /** Inline provider calls, and those of them that reached the model. */
  readonly inlineCalls: number;
  readonly inlineRequests: number;
  readonly commandRequests: number;
  /** Statistics of the last infill that was not cancelled. */
  readonly lastStats: InfillStats | undefined;
  /** How the last inline provider call ended: the shown text and its source, or the reason for nothing. */
  readonly lastInline: InlineOutcome | undefined;
  /** Why the last answer the user waited for showed nothing (what the status bar says); undefined when it showed text. */
  readonly nothingShown: string | undefined;
}

export interface DllmApi {
  /** Resolves once the engine has loaded its model (starting it if needed); rejects with the reason it failed for good. */
  ready(): Promise<void>;
  /** The status bar's health: loading / ready / busy / error / snoozed / off (in the active editor) / idle (not running). */
  readonly health: Health;
  readonly engine: EngineView;
  readonly activity: ActivityView;
  /** How the last command infill ended (a command waiting for Accept / Discard has not ended). */
  readonly lastCommand: CommandOutcome | undefined;
  /** The command result waiting for Accept / Discard, if one is. */
  readonly proposal: PendingView | undefined;
  /** Milliseconds `activate` took. */
  readonly activationMs: number;
}
