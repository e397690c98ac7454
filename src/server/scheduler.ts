/**
 * Runs infills one at a time (the model is single-threaded work) and keeps typing from queueing
 * stale work: a new `inline` request cancels every older inline request, queued or running.
 * `command` requests are never superseded; they end only when their own token is cancelled.
 */
import type { InfillControl, InfillInput, InfillOutput, InfillProgress } from '../engine/api';
import type { InfillStats } from '../protocol/protocol';

/** The part of a cancellation token the scheduler needs (vscode-jsonrpc's token fits). */
export interface CancelToken {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export type InfillMode = 'inline' | 'command';

export interface InfillJob {
  input: InfillInput;
  mode: InfillMode;
  token?: CancelToken;
  onProgress?: (progress: InfillProgress) => void;
}

export type RunInfill = (input: InfillInput, control: InfillControl) => Promise<InfillOutput>;

export interface SchedulerCounters {
  /** Jobs submitted. */
  received: number;
  /** Jobs whose infill ran to the end (finishReason `stop` or `length`). */
  completed: number;
  /** Jobs cancelled or superseded, queued or running. */
  cancelled: number;
  /** Jobs whose infill threw. */
  failed: number;
}

interface QueuedJob {
  readonly job: InfillJob;
  /** Aborted by cancel or supersede; the engine reads it between forward passes. */
  readonly abort: AbortController;
  /** When it started running and when it was cancelled (`now()` milliseconds). */
  startedAt?: number;
  cancelledAt?: number;
  readonly resolve: (output: InfillOutput) => void;
  readonly reject: (error: unknown) => void;
  tokenListener?: { dispose(): void };
}

export class InfillScheduler {
  private readonly queue: QueuedJob[] = [];
  private running: QueuedJob | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly counts: SchedulerCounters = { received: 0, completed: 0, cancelled: 0, failed: 0 };

  /**
   * @param run the engine call.
   * @param statsOfUnrun statistics to report for a job cancelled before it ever ran.
   * @param now milliseconds on any monotonic clock (for runningForMs).
   */
  constructor(
    private readonly run: RunInfill,
    private readonly statsOfUnrun: () => InfillStats,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get counters(): Readonly<SchedulerCounters> {
    return { ...this.counts };
  }

  /** How long the running job has run, in milliseconds; 0 when none runs. A job far past every
   *  request deadline is stuck in a pass that never returns. */
  get runningForMs(): number {
    return this.since(this.running?.startedAt);
  }

  /** How long ago the running job was cancelled without stopping yet; 0 when it was not. A job
   *  stops at the first check after its current pass, so a long wait means a pass that hangs. */
  get cancelledForMs(): number {
    return this.since(this.running?.cancelledAt);
  }

  private since(time: number | undefined): number {
    return time === undefined ? 0 : Math.max(0, this.now() - time);
  }

  /** Jobs waiting or running now. */
  get inFlight(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  submit(job: InfillJob): Promise<InfillOutput> {
    this.counts.received++;
    if (job.mode === 'inline') this.supersedeInline();
    return new Promise<InfillOutput>((resolve, reject) => {
      const entry: QueuedJob = { job, abort: new AbortController(), resolve, reject };
      if (job.token?.isCancellationRequested) {
        this.finishUnrun(entry);
        return;
      }
      entry.tokenListener = job.token?.onCancellationRequested(() => this.cancel(entry));
      this.queue.push(entry);
      this.pump();
    });
  }

  /** Cancels everything, queued or running (used by shutdown). */
  cancelAll(): void {
    for (const entry of [...this.queue]) this.cancel(entry);
    if (this.running) this.cancel(this.running);
  }

  /** Resolves once nothing runs or waits, so the engine can be released safely. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private supersedeInline(): void {
    for (const entry of this.queue.filter((e) => e.job.mode === 'inline')) this.cancel(entry);
    if (this.running?.job.mode === 'inline') this.cancel(this.running);
  }

  private cancel(entry: QueuedJob): void {
    entry.cancelledAt ??= this.now();
    entry.abort.abort();
    const index = this.queue.indexOf(entry);
    if (index >= 0) {
      this.queue.splice(index, 1);
      this.finishUnrun(entry);
    }
    // A running job stops at the engine's next check between forward passes.
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private finishUnrun(entry: QueuedJob): void {
    entry.tokenListener?.dispose();
    this.counts.cancelled++;
    entry.resolve({ text: '', finishReason: 'cancelled', stats: this.statsOfUnrun() });
  }

  private pump(): void {
    if (this.running) return;
    const entry = this.queue.shift();
    if (!entry) {
      this.notifyIdle();
      return;
    }
    this.running = entry;
    entry.startedAt = this.now();
    const control: InfillControl = {
      isCancelled: () => entry.abort.signal.aborted,
      signal: entry.abort.signal,
      onProgress: entry.job.onProgress,
    };
    let outcome: Promise<InfillOutput>;
    try {
      outcome = this.run(entry.job.input, control);
    } catch (error) {
      // A synchronous throw must not leave the scheduler stuck with a running job.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what run threw, passed on as its rejection would be
      outcome = Promise.reject(error);
    }
    outcome
      .then(
        (output) => {
          if (output.finishReason === 'cancelled') this.counts.cancelled++;
          else this.counts.completed++;
          entry.resolve(output);
        },
        (error: unknown) => {
          this.counts.failed++;
          entry.reject(error);
        },
      )
      .finally(() => {
        entry.tokenListener?.dispose();
        this.running = undefined;
        this.pump();
      });
  }
}
