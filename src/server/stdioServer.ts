/**
 * Runs the server on this process's stdin/stdout: takes stdout over for the framing, installs the
 * process guards, and wires the handlers. `main.ts` passes the real engine; test fixtures a fake.
 */
import { performance } from 'perf_hooks';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { EngineLoadOptions, LoadedEngine } from '../engine/api';
import { LogNotification } from '../protocol/protocol';
import { bundledModelDir } from '../engine/engine';
import { errorMessage, findPackageRoot } from './modelFolder';
import { installProcessGuards } from './processGuards';
import { startServer, type ServerLog } from './server';
import { takeOverStdout, writeStderrLine } from './stdioGuard';

export function runStdioServer(loadEngine: (options: EngineLoadOptions) => Promise<LoadedEngine>, moduleDir: string): void {
  const framedStdout = takeOverStdout();
  const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(framedStdout));

  const log: ServerLog = (level, message) => {
    connection.sendNotification(LogNotification.type, { level, message }).catch((error) => {
      writeStderrLine(level, message);
      writeStderrLine('debug', `(log notification not sent: ${errorMessage(error)})`);
    });
  };

  const guards = installProcessGuards(log);
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
