/**
 * Starts the real inference child process (dist/server.js) through the product's own client,
 * exactly as the extension does, and times spawn → ready.
 */
import * as path from 'node:path';
import { startEngineClient } from '../../src/client/engineClient';
import type { EngineClient } from '../../src/client/types';
import type { EngineChoice } from '../../src/cli/options';
import type { InitializeRequest, LogNotification } from '../../src/protocol/protocol';
import { repoRoot } from './tasks';

export const serverModule = path.join(repoRoot, 'dist', 'server.js');

export interface EngineOptions extends EngineChoice {
  /** The server's context cache, MiB (0: off); absent: the server's default. */
  contextCacheMiB?: number;
  /** Milliseconds an inline request may take before the client cancels it; absent: the extension's. */
  inlineDeadlineMs?: number;
}

export interface StartedEngine {
  client: EngineClient;
  init: InitializeRequest.Result;
  /** Wall time from spawning the child to the answer of `initialize`, measured here. */
  spawnToReadyMs: number;
}

/** Warnings and errors from the child go to stderr; debug chatter does not. */
function printLog(entry: LogNotification.Params): void {
  if (entry.level === 'error' || entry.level === 'warn') process.stderr.write(`[server ${entry.level}] ${entry.message}\n`);
}

export async function startEngine(options: EngineOptions): Promise<StartedEngine> {
  const started = performance.now();
  const client = await startEngineClient({ serverModule, onLog: printLog, deadlines: { command: 120_000, ...(options.inlineDeadlineMs === undefined ? {} : { inline: options.inlineDeadlineMs }) } });
  try {
    const init = await client.initialize({
      modelDir: options.modelDir ? path.resolve(options.modelDir) : undefined,
      device: options.device,
      threads: options.threads,
      contextCacheMiB: options.contextCacheMiB,
      cachedRefreshEvery: options.cachedRefreshEvery,
      clientName: 'dllm-bench',
    });
    return { client, init, spawnToReadyMs: performance.now() - started };
  } catch (err) {
    client.kill();
    throw err;
  }
}
