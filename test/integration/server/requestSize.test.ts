/**
 * The request size cap against the real child process: what the client refuses to send, and what
 * the server does with an oversized message or a header that never ends when a client sends one
 * anyway (written here straight onto the child's stdin, past the client's own check).
 */
import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import type { Readable, Writable } from 'stream';
import { StreamMessageReader, type Message } from 'vscode-jsonrpc/node';
import { EngineClientError } from '../../../src/client/engineClient';
import { maxInfillTextChars, maxMessageBytes } from '../../../src/protocol/messageSize';
import { ErrorCodes, protocolFdVariable } from '../../../src/protocol/protocol';
import { infillParams, requireBuildAndModel, serverModule, startWithModel } from './harness';

const MiB = 2 ** 20;

/** The child started as the client starts it, with a raw hand on its stdin and the messages it answers. */
interface RawChild {
  child: ChildProcess;
  stdin: Writable;
  messages: Message[];
  stderr: string[];
  exited: Promise<number | null>;
}

function startRaw(): RawChild {
  const child = spawn(process.execPath, [serverModule], { env: { ...process.env, [protocolFdVariable]: '3' }, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  const messages: Message[] = [];
  new StreamMessageReader(child.stdio[3] as Readable).listen((m) => messages.push(m));
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (s: string) => stderr.push(s));
  child.stdout.resume();
  // The child may stop reading (and exit) while a large write is under way.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdin: child.stdin, messages, stderr, exited };
}

function frame(body: string | Buffer): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`, 'ascii'), bytes]);
}

/** An infill request `bytes` long, the id and method first as vscode-jsonrpc writes them. */
function oversizedInfill(id: number, bytes: number): Buffer {
  const start = `{"jsonrpc":"2.0","id":${id},"method":"dllm/infill","params":{"prefix":"`;
  const end = '","suffix":"","maxTokens":8,"stepBudget":4,"sampler":{"kind":"saber"},"mode":"command"}}';
  const body = Buffer.alloc(bytes, 'x');
  body.write(start, 0, 'utf8');
  body.write(end, bytes - end.length, 'utf8');
  return body;
}

async function waitFor<T>(find: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The most resident memory the process has had, in bytes (Linux). */
function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

describe('request size cap (real child process)', function () {
  this.timeout(120_000);
  before(requireBuildAndModel);

  it('the client refuses an infill above the limit before sending anything, and the engine stays usable', async () => {
    const h = await startWithModel();
    try {
      const before = (await h.client.status()).received;
      const error = await h.client.infill(infillParams({ prefix: 'x'.repeat(maxInfillTextChars + 1) })).then(
        () => assert.fail('should be refused'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof EngineClientError, String(error));
      assert.strictEqual(error.kind, 'refused');
      assert.match(error.message, new RegExp(`^dllm/infill not sent: its text is \\d+ characters, above the limit of ${maxInfillTextChars}: send the text around the cursor`));
      assert.strictEqual((await h.client.status()).received, before, 'nothing reached the server');
      assert.strictEqual((await h.client.infill(infillParams())).finishReason !== 'cancelled', true);
    } finally {
      await h.client.stop();
    }
  });

  it('the server refuses text above the limit that fits in a message, as invalid parameters', async () => {
    // What another client could send: past the character limit, well within the byte limit.
    const raw = startRaw();
    try {
      raw.stdin.write(frame('{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"device":"cpu"}}'));
      await waitFor(() => raw.messages.find((m) => (m as { id?: unknown }).id === 0), 'the model');
      const prefix = 'x'.repeat(maxInfillTextChars + 1);
      raw.stdin.write(frame(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'dllm/infill', params: { ...infillParams(), prefix } })));
      const answer = await waitFor(() => raw.messages.find((m) => (m as { id?: unknown }).id === 1), 'the answer');
      const error = (answer as { error?: { code: number; message: string } }).error;
      assert.strictEqual(error?.code, ErrorCodes.InvalidParams, JSON.stringify(answer).slice(0, 300));
      assert.match(error.message, new RegExp(`^dllm/infill refused: its text is \\d+ characters, above the limit of ${maxInfillTextChars}`));
    } finally {
      raw.child.kill();
    }
  });

  it('drops a 100 MiB request without buffering it, answers it with an error, and keeps serving', async () => {
    const raw = startRaw();
    try {
      raw.stdin.write(frame('{"jsonrpc":"2.0","id":1,"method":"dllm/status"}'));
      await waitFor(() => raw.messages.find((m) => (m as { id?: unknown }).id === 1), 'the first status');
      const baseline = peakRss(raw.child.pid!);
      const bytes = 100 * MiB;
      const written = new Promise((resolve) => raw.stdin.write(frame(oversizedInfill(2, bytes)), resolve));
      raw.stdin.write(frame('{"jsonrpc":"2.0","id":3,"method":"dllm/status"}'));
      const refused = await waitFor(() => raw.messages.find((m) => (m as { id?: unknown }).id === 2), 'the refusal');
      const error = (refused as { error?: { code: number; message: string } }).error;
      assert.strictEqual(error?.code, ErrorCodes.InvalidParams, JSON.stringify(refused));
      assert.strictEqual(error.message, `dllm/infill refused: the message is ${bytes} bytes, above the limit of ${maxMessageBytes}; it was dropped unread`);
      await written;
      await waitFor(() => raw.messages.find((m) => (m as { id?: unknown }).id === 3), 'the status after it');
      const peak = peakRss(raw.child.pid!);
      console.log(`      child peak RSS: ${(baseline / MiB).toFixed(0)} MiB before, ${(peak / MiB).toFixed(0)} MiB after a ${bytes / MiB} MiB request`);
      // Chunks dropped but not yet collected: about 40 MiB here, the same for 400 MiB (450 MiB when it was buffered).
      assert.ok(peak - baseline < 64 * MiB, `the child's peak RSS grew by ${((peak - baseline) / MiB).toFixed(0)} MiB`);
    } finally {
      raw.child.kill();
    }
  });

  it('a header that never ends makes the server exit at once with a clear line, instead of wedging', async () => {
    const raw = startRaw();
    const started = Date.now();
    raw.stdin.write(`Content-Length: 12\r\nX-Padding: ${'y'.repeat(100 * MiB)}`);
    const code = await Promise.race([raw.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000))]);
    if (code === 'still running') raw.child.kill();
    assert.strictEqual(code, 1);
    assert.ok(Date.now() - started < 20_000);
    assert.match(raw.stderr.join(''), /Inference server exiting with code 1: a message header of more than 8192 bytes without its end: the channel cannot be read any further/);
  });
});
