/**
 * The server on one end of an in-memory stream pair and a plain vscode-jsonrpc connection on the
 * other: the same framing and cancellation as over stdio, without a process.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough } from 'stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { LogNotification } from '../../../src/protocol/protocol';
import { startServer, type ServerDeps } from '../../../src/server/server';
import { fakeLoader, type FakeEngineOptions } from '../server/fakeEngine';

export interface Channel {
  client: MessageConnection;
  server: MessageConnection;
  loader: ReturnType<typeof fakeLoader>;
  logs: LogNotification.Params[];
  exits: { code: number; reason: string }[];
  /** Everything the server wrote, raw bytes. */
  serverBytes: Buffer[];
  /** A folder that passes the server's own checks (it holds a `dllm.json`). */
  modelDir: string;
  clientToServer: PassThrough;
  dispose(): void;
}

export function makeModelDir(manifest = '{"format": 1}'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-model-'));
  fs.writeFileSync(path.join(dir, 'dllm.json'), manifest);
  return dir;
}

/** @param loadEngine replaces the fake loader (e.g. one that throws). */
export function openChannel(engine: FakeEngineOptions = {}, loadEngine?: ServerDeps['loadEngine']): Channel {
  const clientToServer = new PassThrough();
  const serverToClient = new PassThrough();
  const serverBytes: Buffer[] = [];
  serverToClient.on('data', (chunk: Buffer) => serverBytes.push(chunk));

  const server = createMessageConnection(new StreamMessageReader(clientToServer), new StreamMessageWriter(serverToClient));
  const client = createMessageConnection(new StreamMessageReader(serverToClient), new StreamMessageWriter(clientToServer));
  const loader = fakeLoader(engine);
  const logs: LogNotification.Params[] = [];
  const exits: { code: number; reason: string }[] = [];
  const modelDir = makeModelDir();
  startServer(server, {
    loadEngine: loadEngine ?? loader.load,
    bundledModelDir: modelDir,
    log: (level, message) => logs.push({ level, message }),
    exit: (code, reason) => exits.push({ code, reason }),
    now: () => 1234.4,
  });
  server.listen();
  client.listen();
  return {
    client,
    server,
    loader,
    logs,
    exits,
    serverBytes,
    modelDir,
    clientToServer,
    dispose() {
      client.dispose();
      server.dispose();
      fs.rmSync(modelDir, { recursive: true, force: true });
    },
  };
}
