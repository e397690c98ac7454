/**
 * The client's message writer: vscode-jsonrpc's StreamMessageWriter, except that a failed write
 * never rejects. The library's `sendRequest` awaits `write()` inside a promise executor and
 * rethrows, so a write that fails because the child died mid-message (EPIPE) would surface as an
 * unhandled rejection and take the caller's process down (vscode-languageserver-node PR #1855).
 * Here the failure resolves the write and goes to `onFailure`, once per failed message, and the
 * client rejects its pending requests with an error of its own.
 */
import type { Writable } from 'stream';
import { StreamMessageWriter, type Message, type MessageWriter } from 'vscode-jsonrpc/node';

export class FailSafeMessageWriter implements MessageWriter {
  private readonly inner: StreamMessageWriter;

  constructor(
    stream: Writable,
    private readonly onFailure: (error: Error, message: Message) => void,
  ) {
    this.inner = new StreamMessageWriter(stream);
  }

  get onError(): MessageWriter['onError'] {
    return this.inner.onError;
  }

  get onClose(): MessageWriter['onClose'] {
    return this.inner.onClose;
  }

  write(message: Message): Promise<void> {
    return this.inner.write(message).catch((error: unknown) => {
      this.onFailure(error instanceof Error ? error : new Error(String(error)), message);
    });
  }

  end(): void {
    this.inner.end();
  }

  dispose(): void {
    this.inner.dispose();
  }
}
