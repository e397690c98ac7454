/**
 * When the inference child crashes: restart after an exponentially growing delay, and give up
 * after too many crashes in a short window (a model that crashes on load would otherwise spin).
 * No `vscode` import; time is passed in, so the tests need no clock.
 */

export interface CrashPolicyOptions {
  /** Crashes within `windowMs` that make us give up. */
  maxCrashes: number;
  windowMs: number;
  /** Delay before the first restart; doubles with every crash in the window. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultCrashPolicy: CrashPolicyOptions = {
  maxCrashes: 5,
  windowMs: 3 * 60_000,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
};

export type CrashDecision =
  | { restart: true; delayMs: number; crashesInWindow: number }
  | { restart: false; crashesInWindow: number };

export class CrashPolicy {
  private crashes: number[] = [];

  constructor(private readonly options: CrashPolicyOptions = defaultCrashPolicy) {}

  /** Records a crash at `now` (ms) and says what to do. */
  onCrash(now: number): CrashDecision {
    this.crashes = this.crashes.filter((t) => now - t < this.options.windowMs);
    this.crashes.push(now);
    const n = this.crashes.length;
    if (n >= this.options.maxCrashes) return { restart: false, crashesInWindow: n };
    const delayMs = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (n - 1));
    return { restart: true, delayMs, crashesInWindow: n };
  }

  /** Forget past crashes: the user asked for a restart, or settings changed. */
  reset(): void {
    this.crashes = [];
  }
}
