/**
 * Stands between stdin and vscode-jsonrpc's reader, which has no size limit of its own: it buffers
 * a message whole however large its Content-Length (100 MiB held 450 MiB of memory), and rescans a
 * header that never ends on every chunk. The guard reads the framing itself and passes on only
 * messages within the protocol's limits (src/protocol/messageSize.ts). A larger message is dropped
 * as it streams past, keeping only its first bytes, where vscode-jsonrpc writes the id and method,
 * so the server can answer it and go on: the framing says where the next message starts. A header
 * section longer than the limit, or one without a Content-Length, leaves no way to find the next
 * message, so the stream is reported broken: the server then exits, the client fails what it
 * was waiting for at once, and the extension starts a fresh process.
 */
import { Transform, type TransformCallback } from 'stream';
import { maxHeaderBytes, maxMessageBytes } from '../protocol/messageSize';

/** Bytes kept of a dropped message: the id and method come first, params last. */
const keptHeadBytes = 512;
const headerEnd = Buffer.from('\r\n\r\n', 'ascii');

export interface DroppedMessage {
  /** Its Content-Length. */
  bytes: number;
  /** The request's id and method, where its first bytes name them before its params. */
  id?: number | string;
  method?: string;
}

export interface FrameGuardEvents {
  /** A message above the limit went by unread. */
  dropped(message: DroppedMessage): void;
  /** The stream cannot be framed any further; nothing more is passed on. */
  broken(reason: string): void;
}

export class FrameGuard extends Transform {
  /** Header bytes seen so far (under maxHeaderBytes). */
  private header = Buffer.alloc(0);
  /** Body bytes of the current message still to pass on, or to drop. */
  private passing = 0;
  private dropping = 0;
  private dropped: { bytes: number; head: Buffer[]; headBytes: number; reported: boolean } | undefined;
  private isBroken = false;

  constructor(private readonly events: FrameGuardEvents) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    while (at < chunk.length && !this.isBroken) {
      if (this.passing > 0) {
        const n = Math.min(this.passing, chunk.length - at);
        this.push(chunk.subarray(at, at + n));
        this.passing -= n;
        at += n;
      } else if (this.dropping > 0) {
        const n = Math.min(this.dropping, chunk.length - at);
        this.keepHead(chunk.subarray(at, at + n));
        this.dropping -= n;
        at += n;
        if (this.dropping === 0) this.reportDropped();
      } else {
        at = this.readHeader(chunk, at);
      }
    }
    done();
  }

  /** Reads header bytes from `chunk` at `at`; returns where the body starts, or the chunk's end. */
  private readHeader(chunk: Buffer, at: number): number {
    const seen = this.header.length;
    const joined = seen > 0 ? Buffer.concat([this.header, chunk.subarray(at)]) : chunk.subarray(at);
    const end = joined.indexOf(headerEnd, Math.max(0, seen - 3));
    if (end < 0 ? joined.length > maxHeaderBytes : end + headerEnd.length > maxHeaderBytes) {
      this.fail(`a message header of more than ${maxHeaderBytes} bytes without its end: the channel cannot be read any further`);
      return chunk.length;
    }
    if (end < 0) {
      this.header = Buffer.from(joined); // a copy: a small slice must not hold a whole chunk
      return chunk.length;
    }
    const header = joined.subarray(0, end + headerEnd.length);
    this.header = Buffer.alloc(0);
    const length = contentLength(header.toString('ascii'));
    if (length === undefined) {
      this.fail('a message header without a valid Content-Length: the channel cannot be read any further');
      return chunk.length;
    }
    if (length <= maxMessageBytes) {
      this.push(Buffer.from(header));
      this.passing = length;
    } else {
      this.dropping = length;
      this.dropped = { bytes: length, head: [], headBytes: 0, reported: false };
    }
    return at + header.length - seen;
  }

  private keepHead(bytes: Buffer): void {
    const d = this.dropped!;
    if (d.headBytes < keptHeadBytes) {
      const part = Buffer.from(bytes.subarray(0, keptHeadBytes - d.headBytes));
      d.head.push(part);
      d.headBytes += part.length;
    }
    // Answer as soon as the id is in hand, not after the whole message has streamed past.
    if (d.headBytes >= keptHeadBytes) this.reportDropped();
  }

  private reportDropped(): void {
    const d = this.dropped;
    if (!d || d.reported) return;
    d.reported = true;
    this.events.dropped({ bytes: d.bytes, ...idAndMethod(Buffer.concat(d.head).toString('latin1')) });
  }

  private fail(reason: string): void {
    this.isBroken = true;
    this.header = Buffer.alloc(0);
    this.events.broken(reason);
  }
}

function contentLength(header: string): number | undefined {
  for (const line of header.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    return /^\d{1,15}$/.test(value) ? Number(value) : undefined;
  }
  return undefined;
}

/**
 * The id and method among the top-level fields written before `"params"`. Inside a JSON string a
 * quote is escaped, so text there cannot pass for a field; a message that puts params first (no
 * client of ours does) goes unanswered and fails at the client's deadline.
 */
export function idAndMethod(head: string): Pick<DroppedMessage, 'id' | 'method'> {
  const params = head.indexOf('"params"');
  const fields = params >= 0 ? head.slice(0, params) : head;
  const id = /"id"\s*:\s*(-?\d{1,15}|"(?:[^"\\]|\\.){0,200}")\s*[,}]/.exec(fields)?.[1];
  const method = /"method"\s*:\s*"([^"\\]{1,200})"/.exec(fields)?.[1];
  return {
    ...(id === undefined ? {} : { id: JSON.parse(id) as number | string }),
    ...(method === undefined ? {} : { method }),
  };
}
