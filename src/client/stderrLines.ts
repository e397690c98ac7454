/**
 * Turns the child's stderr into log entries. The server tags its own lines `[level] message`
 * (see src/server/stdioGuard.ts); onnxruntime's native log lines carry their severity letter
 * (`[W:onnxruntime:…]`); other untagged lines (a native crash, Node's own messages, native
 * libraries' chatter such as a GPU backend's "Warning: Couldn't load Vulkan") are errors if they
 * look like a crash, info otherwise: a native library's warnings are not the user's business.
 * Colour codes are removed and every line is capped, so one runaway library cannot flood the log.
 */
import type { LogNotification } from '../protocol/protocol';
import { isHighSurrogate } from '../protocol/text';

type Level = LogNotification.Params['level'];

/** The longest message written to the log, the note about the cut included. */
export const maxLogLineLength = 2000;

const tagged = /^\[(error|warn|info|debug)\] ?(.*)$/s;
const looksLikeError = /\b(error|exception|fatal|abort(ed)?|segmentation fault)\b/i;

/**
 * onnxruntime's default sink: `<timestamp> [<severity>:<category>:<logger id>, <file:line function>] <message>`
 * with severity V(erbose), I(nfo), W(arning), E(rror) or F(atal). The timestamp is dropped: the log has its own.
 */
const onnxruntimeLine = /^(?:\d{4}-\d{2}-\d{2}[ T][\d:.]+\s+)?(\[([VIWEF]):[\w.-]*:[^\]]*\].*)$/s;
const onnxruntimeLevels: Record<'V' | 'I' | 'W' | 'E' | 'F', Level> = { V: 'debug', I: 'debug', W: 'warn', E: 'error', F: 'error' };

/**
 * Terminal escape sequences: CSI (colours, cursor moves), OSC (titles, links) and two-character
 * escapes; a lone ESC left by a cut sequence goes too.
 */
const escapeSequences = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|\u001b/g;

export function stripAnsi(text: string): string {
  return text.replace(escapeSequences, '');
}

export function parseStderrLine(line: string): LogNotification.Params {
  const text = stripAnsi(line);
  const match = tagged.exec(text);
  if (match) return { level: match[1] as Level, message: capLength(match[2]!) };
  const native = onnxruntimeLine.exec(text);
  if (native) return { level: onnxruntimeLevels[native[2] as keyof typeof onnxruntimeLevels], message: capLength(native[1]!) };
  return { level: looksLikeError.test(text) ? 'error' : 'info', message: capLength(text) };
}

/**
 * `text` cut to at most `max` characters, a note saying how many were cut in their place.
 * `alreadyCut` counts characters dropped past the end of `text` before it got here. The result
 * fits in `max`, so capping it again changes nothing.
 */
export function capLength(text: string, max = maxLogLineLength, alreadyCut = 0): string {
  if (alreadyCut === 0 && text.length <= max) return text;
  // The note's length depends on the count; sized for the largest count, it always fits.
  let keep = Math.max(0, max - cutNote(text.length + alreadyCut).length);
  // Never split a surrogate pair: half a character shows as garbage.
  if (keep > 0 && isHighSurrogate(text.charCodeAt(keep - 1))) keep -= 1;
  return text.slice(0, keep) + cutNote(text.length - keep + alreadyCut);
}

function cutNote(cut: number): string {
  return ` … [${cut} more characters cut]`;
}

/**
 * Splits a byte stream into lines, calling `onLine` for each complete one. A line longer than
 * `maxLength` is kept only up to it (the rest is counted, not stored) and comes out cut, so a
 * library writing megabytes without a newline does not grow memory.
 */
export class LineSplitter {
  private partial = '';
  /** Characters of the current line dropped past `maxLength`. */
  private cut = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLength = maxLogLineLength,
  ) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    const last = parts.pop() ?? '';
    for (const line of parts) this.emit(line);
    // Keep one extra character: a trailing '\r' may pair with the next chunk's '\n'.
    if (last.length > this.maxLength + 1) {
      this.cut += last.length - this.maxLength;
      this.partial = last.slice(0, this.maxLength);
    } else {
      this.partial = last;
    }
  }

  /** Emits what is left when the stream ends without a final newline. */
  flush(): void {
    this.emit(this.partial);
  }

  private emit(line: string): void {
    const cut = this.cut;
    this.cut = 0;
    this.partial = '';
    if (line.length > 0 || cut > 0) this.onLine(capLength(line, this.maxLength, cut));
  }
}
