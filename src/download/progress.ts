/**
 * A download's progress: bytes done of the total, the rate over the last few seconds and the time
 * left at that rate. Pure arithmetic over (time, bytes) samples, so it is tested with a fake clock.
 */

export interface DownloadProgress {
  /** The file being fetched. */
  file: string;
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second over the recent window; 0 until there are two samples. */
  bytesPerSecond: number;
  /** Seconds left at that rate; undefined while the rate is unknown. */
  secondsLeft: number | undefined;
}

/** Rate window: long enough to smooth bursts, short enough to follow a changing connection. */
const WINDOW_MS = 5000;

export class ProgressMeter {
  private readonly samples: Array<{ at: number; bytes: number }> = [];
  private done: number;

  /** `alreadyDone`: bytes on disk before this run (finished files and partial ones being resumed); they do not count toward the rate. */
  constructor(
    readonly bytesTotal: number,
    alreadyDone = 0,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.done = alreadyDone;
    this.samples.push({ at: now(), bytes: alreadyDone });
  }

  get bytesDone(): number {
    return this.done;
  }

  /** `bytes` more arrived (negative when a server ignored a resume and the file restarts). */
  add(bytes: number): void {
    this.done += bytes;
    const at = this.now();
    this.samples.push({ at, bytes: this.done });
    while (this.samples.length > 2 && at - this.samples[1]!.at > WINDOW_MS) this.samples.shift();
  }

  snapshot(file: string): DownloadProgress {
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const seconds = (last.at - first.at) / 1000;
    const bytesPerSecond = seconds > 0 ? Math.max(0, (last.bytes - first.bytes) / seconds) : 0;
    const left = Math.max(0, this.bytesTotal - this.done);
    return { file, bytesDone: this.done, bytesTotal: this.bytesTotal, bytesPerSecond, secondsLeft: bytesPerSecond > 0 ? left / bytesPerSecond : left === 0 ? 0 : undefined };
  }
}

function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** `312.4 MB of 1.00 GB · 11.2 MB/s · 1 min left`: one line for a notification or a terminal. */
export function describeProgress(p: DownloadProgress): string {
  const parts = [`${size(p.bytesDone)} of ${size(p.bytesTotal)}`];
  if (p.bytesPerSecond > 0) parts.push(`${size(p.bytesPerSecond)}/s`);
  if (p.secondsLeft !== undefined && p.bytesDone < p.bytesTotal) parts.push(`${duration(p.secondsLeft)} left`);
  return parts.join(' · ');
}
