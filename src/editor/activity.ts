/**
 * Counters and the last statistics of requests to the engine: what the status bar shows, what
 * "Show Statistics" prints, and what the test API exposes. No `vscode` import.
 */
import type { InfillRequest, InfillStats } from '../protocol/protocol';

/** How one inline provider call ended. */
export interface InlineOutcome {
  /** Number of the provider call (1, 2, …). */
  id: number;
  /** Where a shown suggestion came from. */
  source?: 'model' | 'cache' | 'typedThrough';
  /** The suggestion shown, if any. */
  text?: string;
  /** Why nothing was shown, if nothing was. */
  reason?: string;
  /** Nothing was shown although the model (or the cache of its answer) answered: its text was empty or post-processing removed it. */
  empty?: boolean;
  /** Milliseconds the provider call took. */
  ms: number;
}

export class Activity {
  /** Infill requests running now. */
  inFlight = 0;
  /** Inline provider calls (every keystroke that reached the provider). */
  inlineCalls = 0;
  /** Infill requests sent to the engine, by mode. */
  inlineRequests = 0;
  commandRequests = 0;
  cacheHits = 0;
  typedThroughHits = 0;
  lastStats: InfillStats | undefined;
  lastMode: 'inline' | 'command' | undefined;
  lastInline: InlineOutcome | undefined;
  /** Why the last answer the user waited for showed nothing; undefined when it showed text. */
  nothingShown: string | undefined;
  private readonly listeners = new Set<() => void>();

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Runs one infill request, counting it and keeping its statistics unless it was cancelled. */
  async track(mode: 'inline' | 'command', run: () => Promise<InfillRequest.Result>): Promise<InfillRequest.Result> {
    if (mode === 'inline') this.inlineRequests++;
    else this.commandRequests++;
    this.inFlight++;
    this.changed();
    try {
      const result = await run();
      if (result.finishReason !== 'cancelled') {
        this.lastStats = result.stats;
        this.lastMode = mode;
        this.nothingShown = undefined;
      }
      return result;
    } finally {
      this.inFlight--;
      this.changed();
    }
  }

  /** How an inline provider call ended. Calls that ended early (superseded, cancelled, off) leave `nothingShown` as it was. */
  recordInline(outcome: InlineOutcome): void {
    this.lastInline = outcome;
    if (outcome.source === 'cache') this.cacheHits++;
    if (outcome.source === 'typedThrough') this.typedThroughHits++;
    if (outcome.text !== undefined) this.setNothingShown(undefined);
    else if (outcome.empty && outcome.reason) this.setNothingShown(outcome.reason);
  }

  /** A command's answer left nothing to propose. */
  recordEmptyCommand(reason: string): void {
    this.setNothingShown(reason);
  }

  private setNothingShown(reason: string | undefined): void {
    if (reason === this.nothingShown) return;
    this.nothingShown = reason;
    this.changed();
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }
}
