/**
 * Snoozing inline completions for a while. The deadline is kept in the extension's global state
 * so a window reload keeps it. No `vscode` import: storage and clock are injected.
 */

export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

const snoozeKey = 'dllm.snoozedUntil';

export class SnoozeState {
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly store: KeyValueStore,
    private readonly now: () => number = Date.now,
  ) {
    this.armTimer();
  }

  /** Epoch ms until which completions are snoozed, or undefined. */
  get until(): number | undefined {
    const until = this.store.get<number>(snoozeKey);
    return typeof until === 'number' && until > this.now() ? until : undefined;
  }

  get snoozed(): boolean {
    return this.until !== undefined;
  }

  async snooze(minutes: number): Promise<void> {
    await this.store.update(snoozeKey, this.now() + minutes * 60_000);
    this.armTimer();
    this.changed();
  }

  async resume(): Promise<void> {
    await this.store.update(snoozeKey, undefined);
    this.armTimer();
    this.changed();
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  /** Tells listeners when the snooze ends, and once a minute before that (the status bar counts down). */
  private armTimer(): void {
    clearTimeout(this.timer);
    const until = this.until;
    if (until === undefined) return;
    const wait = Math.min(60_000, Math.max(0, until - this.now()) + 10);
    this.timer = setTimeout(() => {
      this.armTimer();
      this.changed();
    }, wait);
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }
}
