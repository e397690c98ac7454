/**
 * Turns the child's stderr into log entries. The server tags its own lines `[level] message`
 * (see src/server/stdioGuard.ts); untagged lines (a native crash, Node's own messages, native
 * libraries' chatter such as a GPU backend's "Warning: Couldn't load Vulkan") are errors if they
 * look like a crash, info otherwise: a native library's warnings are not the user's business.
 */
import type { LogNotification } from '../protocol/protocol';

type Level = LogNotification.Params['level'];

const tagged = /^\[(error|warn|info|debug)\] ?(.*)$/s;
const looksLikeError = /\b(error|exception|fatal|abort(ed)?|segmentation fault)\b/i;

export function parseStderrLine(line: string): LogNotification.Params {
  const match = tagged.exec(line);
  if (match) return { level: match[1] as Level, message: match[2] };
  return { level: looksLikeError.test(line) ? 'error' : 'info', message: line };
}

/** Splits a byte stream into lines, calling `onLine` for each complete one. */
export class LineSplitter {
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) if (line.length > 0) this.onLine(line);
  }

  /** Emits what is left when the stream ends without a final newline. */
  flush(): void {
    if (this.partial.length > 0) this.onLine(this.partial);
    this.partial = '';
  }
}
