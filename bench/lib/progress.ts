/**
 * A one-line progress bar for long runs. It draws only on a terminal, so logs and pipes stay clean.
 */

export class ProgressBar {
  private readonly started = performance.now();
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stdout,
  ) {
    this.enabled = Boolean(stream.isTTY) && total > 0;
  }

  /** Redraws the bar; `note` is a short figure such as the running pass@1. */
  update(done: number, note = ''): void {
    if (!this.enabled) return;
    this.stream.write(`\r${formatBar(this.label, done, this.total, performance.now() - this.started, note, this.stream.columns || 100)}`);
  }

  /** Clears the line so the next output starts clean. */
  finish(): void {
    if (this.enabled) this.stream.write('\r\x1b[2K');
  }
}

/** The bar text, e.g. `saber [#####.....] 45/90 eta 12s pass@1 0.40`, cut to `columns`. */
export function formatBar(label: string, done: number, total: number, elapsedMs: number, note: string, columns: number): string {
  const width = 24;
  const filled = Math.round((Math.min(done, total) / total) * width);
  const eta = done > 0 ? formatSeconds(((total - done) * elapsedMs) / done / 1000) : '?';
  const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} eta ${eta} ${note}`;
  return line.slice(0, Math.max(10, columns - 1));
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.round(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}
