/**
 * Starts the inference child process and talks to it over JSON-RPC (stdio, LSP framing).
 * Owns the child's life: deadlines on every request, cancellation forwarded as `$/cancelRequest`,
 * pending requests rejected the moment the child exits, and a stop that always ends in an exit.
 */
import { spawn, type ChildProcessByStdio } from 'child_process';
import * as fs from 'fs';
import type { Readable, Writable } from 'stream';
import {
  CancellationTokenSource,
  ProgressType,
  StreamMessageReader,
  createMessageConnection,
  type CancellationToken,
  type Logger,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import {
  DocumentClosedNotification,
  ExitNotification,
  InfillRequest,
  InitializeRequest,
  LogNotification,
  ShutdownRequest,
  StatusRequest,
  protocolFdVariable,
  statsOfUnrunInfill,
  type InfillProgressNotification,
} from '../protocol/protocol';
import { infillTextProblem } from '../protocol/messageSize';
import { childEnvironment } from './childEnvironment';
import { EngineClientError, toClientError } from './errors';
import { FailSafeMessageWriter } from './messageWriter';
import { errorMessage } from '../base/errorText';
import { describeExit, exitsWithin, type ExitInfo } from './processExit';
import { LineSplitter, parseStderrLine } from './stderrLines';
import type { CancelSignal, EngineClient, EngineClientOptions, RequestDeadlines, StartEngineClient } from './types';

export { EngineClientError } from './errors';

export const defaultDeadlines: Readonly<RequestDeadlines> = {
  initialize: 120_000,
  inline: 10_000,
  command: 60_000,
  status: 5_000,
  shutdown: 2_000,
};

const defaultStopGraceMs = 2_000;

/** LSP's RequestCancelled error code, which vscode-jsonrpc's ErrorCodes does not name. */
const requestCancelledCode = -32800;

type ProgressValue = InfillProgressNotification.Params['value'];
type ChildWithPipes = ChildProcessByStdio<Writable, Readable, Readable> & { readonly stdio: [Writable, Readable, Readable, Readable] };

/** The child's file descriptor that carries the server's messages (see src/server/stdioServer.ts). */
const protocolFd = 3;

interface PendingRequest {
  readonly method: string;
  fail(error: EngineClientError): void;
}

/** Spawns the server module and resolves once the process runs; `initialize` comes next. */
export const startEngineClient: StartEngineClient = async (options) => {
  if (!fs.existsSync(options.serverModule)) {
    throw new EngineClientError('notRunning', `The inference server script "${options.serverModule}" does not exist (run npm run build).`);
  }
  const execPath = options.execPath ?? process.execPath;
  const child = spawn(execPath, [...(options.execArgv ?? []), options.serverModule], {
    cwd: options.cwd,
    // Plain Node (ELECTRON_RUN_AS_NODE), without the window's Node debugging or preload options.
    env: childEnvironment(process.env, { ...options.env, [protocolFdVariable]: String(protocolFd) }),
    // Requests go in on stdin; the server answers on its own pipe (fd 3), so whatever native code
    // writes to stdout cannot corrupt the framing: it is logged instead.
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    windowsHide: true,
  }) as ChildWithPipes;
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) =>
      reject(new EngineClientError('notRunning', `Cannot start the inference process with "${execPath}": ${error.message}`)),
    );
  });
  return new ChildEngineClient(child, options);
};

class ChildEngineClient implements EngineClient {
  readonly pid: number;
  private readonly connection: MessageConnection;
  private readonly deadlines: RequestDeadlines;
  private readonly pending = new Set<PendingRequest>();
  private readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;
  /** Why the channel can no longer carry a message, once a write to the child failed. */
  private writeFailure: string | undefined;
  private stopRequested = false;
  private stopping: Promise<void> | undefined;
  private progressTokens = 0;
  /** Provider of the loaded model, for the statistics of infills cancelled client-side. */
  private device = '';

  constructor(
    private readonly child: ChildWithPipes,
    private readonly options: EngineClientOptions,
  ) {
    this.pid = child.pid ?? -1;
    this.deadlines = { ...defaultDeadlines, ...options.deadlines };

    for (const stream of [child.stderr, child.stdout]) {
      const lines = new LineSplitter((line) => this.log(parseStderrLine(line)));
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => lines.push(chunk));
      stream.on('end', () => lines.flush());
    }
    // Writing to a child that just died fails with EPIPE; the exit handler reports the death.
    child.stdin.on('error', (error) => this.log({ level: 'debug', message: `stdin of the inference process: ${error.message}` }));

    const logger: Logger = {
      error: (message) => this.log({ level: 'error', message }),
      warn: (message) => this.log({ level: 'warn', message }),
      info: (message) => this.log({ level: 'info', message }),
      log: (message) => this.log({ level: 'debug', message }),
    };
    const writer = new FailSafeMessageWriter(child.stdin, (error) => this.handleWriteFailure(error));
    this.connection = createMessageConnection(new StreamMessageReader(child.stdio[protocolFd]), writer, logger);
    this.connection.onNotification(LogNotification.type, (entry) => this.log(entry));
    this.connection.onError(([error]) => this.log({ level: 'debug', message: `JSON-RPC channel: ${error.message}` }));
    this.connection.listen();

    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        const info = { code, signal };
        this.handleExit(info);
        resolve(info);
      });
    });
    child.on('error', (error) => this.log({ level: 'error', message: `Inference process: ${error.message}` }));
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  async initialize(params: InitializeRequest.Params): Promise<InitializeRequest.Result> {
    const result = await this.request(InitializeRequest.method, this.deadlines.initialize, (token) =>
      this.connection.sendRequest(InitializeRequest.type, params, token),
    );
    this.device = result.device.provider;
    return result;
  }

  async infill(
    params: InfillRequest.Params,
    cancel?: CancelSignal,
    onProgress?: (value: ProgressValue) => void,
  ): Promise<InfillRequest.Result> {
    const tooLarge = infillTextProblem(params);
    if (tooLarge) throw new EngineClientError('refused', `${InfillRequest.method} not sent: ${tooLarge}`);
    // Already stale: not worth a round trip.
    if (cancel?.isCancellationRequested) return this.cancelledResult();
    let sent = params;
    let progressSubscription: { dispose(): void } | undefined;
    if (onProgress) {
      const progressToken = `infill-${this.pid}-${++this.progressTokens}`;
      sent = { ...params, progressToken };
      progressSubscription = this.connection.onProgress(new ProgressType<ProgressValue>(), progressToken, onProgress);
    }
    const deadline = params.mode === 'inline' ? this.deadlines.inline : this.deadlines.command;
    try {
      return await this.request(InfillRequest.method, deadline, (token) => this.connection.sendRequest(InfillRequest.type, sent, token), cancel);
    } catch (error) {
      // The server answers cancellation with a 'cancelled' result; this covers a server (or the
      // library) that answers with RequestCancelled instead.
      if (error instanceof EngineClientError && error.code === requestCancelledCode) return this.cancelledResult();
      throw error;
    } finally {
      progressSubscription?.dispose();
    }
  }

  status(): Promise<StatusRequest.Result> {
    return this.request(StatusRequest.method, this.deadlines.status, (token) => this.connection.sendRequest(StatusRequest.type, token));
  }

  documentClosed(document: string): void {
    if (!this.running || this.writeFailure) return;
    try {
      // A closed connection throws here rather than rejecting.
      void this.connection.sendNotification(DocumentClosedNotification.type, { document });
    } catch (error) {
      this.log({ level: 'debug', message: `${DocumentClosedNotification.method} not sent: ${errorMessage(error)}` });
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopGracefully();
    return this.stopping;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child.kill(signal);
  }

  private async stopGracefully(): Promise<void> {
    if (!this.running) return;
    this.stopRequested = true;
    // After a failed write nothing can be sent, and the request that failed has said why.
    if (!this.writeFailure) {
      try {
        await this.request(ShutdownRequest.method, this.deadlines.shutdown, (token) => this.connection.sendRequest(ShutdownRequest.type, token));
        await this.connection.sendNotification(ExitNotification.type);
      } catch (error) {
        this.log({ level: 'warn', message: `The inference process did not shut down cleanly (${errorMessage(error)}); stopping it.` });
      }
    }
    const graceMs = this.options.stopGraceMs ?? defaultStopGraceMs;
    if (!(await exitsWithin(this.exited, graceMs)) && this.running) {
      this.log({ level: 'warn', message: `The inference process did not exit within ${graceMs} ms; killing it.` });
      this.child.kill('SIGKILL');
    }
    await this.exited;
  }

  /** Sends one request under a deadline; rejects at once if the child exits first. */
  private request<R>(method: string, deadlineMs: number, send: (token: CancellationToken) => Promise<R>, cancel?: CancelSignal): Promise<R> {
    if (this.exitInfo || this.writeFailure) {
      const why = this.exitInfo ? describeExit(this.exitInfo) : this.writeFailure;
      return Promise.reject(new EngineClientError('notRunning', `Cannot send ${method}: ${why}.`));
    }
    return new Promise<R>((resolve, reject) => {
      const source = new CancellationTokenSource();
      let settled = false;
      const settle = (finish: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        cancelSubscription?.dispose();
        this.pending.delete(entry);
        source.dispose();
        finish();
      };
      const entry: PendingRequest = { method, fail: (error) => settle(() => reject(error)) };
      this.pending.add(entry);
      const timer = setTimeout(() => {
        source.cancel(); // tells the server to drop the work
        settle(() => reject(new EngineClientError('deadline', `${method} got no answer within ${deadlineMs} ms; the request was cancelled.`)));
        this.options.onDeadline?.(method);
      }, deadlineMs);
      const cancelSubscription = cancel?.onCancellationRequested(() => source.cancel());
      let sending: Promise<R>;
      try {
        sending = send(source.token);
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what send threw, passed on as its rejection would be
        sending = Promise.reject(error);
      }
      sending.then(
        (result) => settle(() => resolve(result)),
        (error: unknown) => settle(() => reject(toClientError(error, method, this.exitInfo))),
      );
    });
  }

  private handleExit(info: ExitInfo): void {
    this.exitInfo = info;
    const how = describeExit(info);
    for (const entry of [...this.pending]) {
      entry.fail(new EngineClientError('exited', `${entry.method} failed: ${how} before answering.`));
    }
    this.connection.dispose();
    if (!this.stopRequested) this.log({ level: 'error', message: `Unexpected exit: ${how}.` });
    this.options.onExit?.({ code: info.code, signal: info.signal, expected: this.stopRequested });
  }

  /**
   * A message could not be written: the child closed its end (it died, or is dying). Nothing more
   * can be sent, so every pending request fails now with that reason; the exit follows, and a
   * child that keeps running without its input is killed after the stop grace period.
   */
  private handleWriteFailure(error: Error): void {
    if (this.writeFailure || this.exitInfo) return;
    this.writeFailure = `the inference process exited while a request was being sent (${error.message})`;
    for (const entry of [...this.pending]) entry.fail(new EngineClientError('exited', `${entry.method} failed: ${this.writeFailure}.`));
    setTimeout(() => this.kill(), this.options.stopGraceMs ?? defaultStopGraceMs).unref();
  }

  private cancelledResult(): InfillRequest.Result {
    return { text: '', finishReason: 'cancelled', stats: statsOfUnrunInfill(this.device) };
  }

  private log(entry: LogNotification.Params): void {
    this.options.onLog?.(entry);
  }
}
