/**
 * Runs the server on this process's stdio: reads requests from stdin and writes its messages to the
 * protocol pipe the client opened (fd `DLLM_PROTOCOL_FD`), else to stdout. A dedicated pipe keeps
 * the channel safe from native code writing to fd 1 (a GPU provider's banner, a library's printf),
 * which no JavaScript guard can intercept; that output reaches the client's log instead.
 * Requests pass through the framing guard (frameGuard.ts), which keeps messages above the protocol's
 * size limit out of memory. Installs the process guards and wires the handlers. `main.ts` passes the real engine loader;
 * test fixtures a fake.
 */
import * as net from 'net';
import { performance } from 'perf_hooks';
import type { Writable } from 'stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type ResponseMessage } from 'vscode-jsonrpc/node';
import type { EngineLoadOptions, LoadedEngine } from '../engine/api';
import { maxMessageBytes } from '../protocol/messageSize';
import { ErrorCodes, LogNotification, protocolFdVariable } from '../protocol/protocol';
import { errorMessage } from '../base/errorText';
import { bundledModelDir, findPackageRoot } from '../modelFolder/folder';
import { FrameGuard, type DroppedMessage } from './frameGuard';
import { installProcessGuards } from './processGuards';
import { startServer, type ServerLog } from './server';
import { routeConsoleToStderr, takeOverStdout, writeStderrLine } from './stdioGuard';

export function runStdioServer(loadEngine: (options: EngineLoadOptions) => Promise<LoadedEngine>, moduleDir: string): void {
  const writer = new StreamMessageWriter(protocolOutput());
  const input = new FrameGuard({
    dropped: (message) => refuseDropped(message),
    broken: (reason) => guards.exit(1, reason),
  });
  process.stdin.on('error', (error) => input.destroy(error));
  process.stdin.pipe(input);
  const connection = createMessageConnection(new StreamMessageReader(input), writer);

  const log: ServerLog = (level, message) => {
    connection.sendNotification(LogNotification.type, { level, message }).catch((error) => {
      writeStderrLine(level, message);
      writeStderrLine('debug', `(log notification not sent: ${errorMessage(error)})`);
    });
  };

  const guards = installProcessGuards(log);

  /** A request dropped for its size gets an answer when its id was found; the log says so in any case. */
  const refuseDropped = ({ bytes, id, method }: DroppedMessage): void => {
    const message = `${method ?? 'a message'} refused: the message is ${bytes} bytes, above the limit of ${maxMessageBytes}; it was dropped unread`;
    log('warn', id === undefined ? `${message} (no id found to answer)` : message);
    if (id === undefined) return;
    writer.write({ jsonrpc: '2.0', id, error: { code: ErrorCodes.InvalidParams, message } } as ResponseMessage).catch((error) => {
      writeStderrLine('debug', `(the answer to an oversized request was not sent: ${errorMessage(error)})`);
    });
  };
  connection.onError(([error]) => writeStderrLine('error', `JSON-RPC connection error: ${error.message}`));

  startServer(connection, {
    loadEngine,
    bundledModelDir: bundledModelDir(findPackageRoot(moduleDir)),
    log,
    exit: guards.exit,
    now: () => performance.now(),
  });
  connection.listen();
}

/** The stream the server's messages go to. */
function protocolOutput(): Writable {
  const fd = Number(process.env[protocolFdVariable]);
  if (!Number.isInteger(fd) || fd < 3) return takeOverStdout();
  routeConsoleToStderr();
  const pipe = new net.Socket({ fd, readable: false, writable: true });
  // The client is gone: nobody is left to answer to (stdin's end closes the connection too).
  pipe.on('error', (error) => writeStderrLine('debug', `protocol pipe: ${error.message}`));
  return pipe;
}
