/**
 * The timed parts of `npm run bench` through the real child process: child start-ups, the latency
 * cells (context size × canvas) with their warm-up rounds, the window calibration that sizes a
 * context in tokens, one timed request, and the extension-side LRU hit. Every figure is returned;
 * bench.ts writes them.
 */
import { LRUCache } from 'lru-cache';
import type { EngineClient } from '../../src/client/types';
import { cacheKey } from '../../src/completion/cacheKey';
import type { InfillRequest } from '../../src/protocol/protocol';
import { inlineContext, inlineRequest, windowForTokens } from './contexts';
import { startEngine, type EngineOptions, type StartedEngine } from './engine';
import type { LatencyCell } from './latency';
import { ProgressBar } from './progress';
import { percentile, summarize, type Summary } from './stats';

export const mib = (bytes: number) => bytes / 1024 ** 2;

/** Rounds of every latency cell sent first and dropped. */
export const warmUpRounds = 2;

/** Starts the child `count` times, timing each start; returns the last one, still running, with the figures. */
export async function timeStartups(count: number, options: EngineOptions) {
  const spawnToReadyMs: number[] = [];
  const serverStartupMs: number[] = [];
  const rssAfterLoad: number[] = [];
  let engine: StartedEngine | undefined;
  for (let i = 0; i < count; i++) {
    if (engine) await engine.client.stop();
    engine = await startEngine(options);
    spawnToReadyMs.push(engine.spawnToReadyMs);
    serverStartupMs.push(engine.init.startupMs);
    rssAfterLoad.push((await engine.client.status()).rssBytes);
  }
  if (!engine) throw new Error('--spawns must be at least 1');
  return { engine, figures: { spawnToReadyMs: summarize(spawnToReadyMs), serverStartupMs: summarize(serverStartupMs), rssAfterLoadMiB: summarize(rssAfterLoad.map(mib)) } };
}

export async function timedInfill(client: EngineClient, params: InfillRequest.Params): Promise<{ result: InfillRequest.Result; ms: number }> {
  const t0 = performance.now();
  const result = await client.infill(params);
  return { result, ms: performance.now() - t0 };
}

/** Every (context, canvas) cell on the same cursors, cells interleaved per cursor, warm-up rounds dropped. */
export async function measureLatency(client: EngineClient, doc: string, offsets: number[], windows: Record<LatencyCell['context'], number>, canvases: number[]): Promise<LatencyCell[]> {
  const cells: LatencyCell[] = [];
  for (const context of ['short', 'long'] as const) for (const canvas of canvases) cells.push({ context, canvas, samples: [], latencyMs: [] });
  const bar = new ProgressBar('latency', offsets.length * cells.length);
  let sent = 0;
  try {
    for (const [i, offset] of offsets.entries()) {
      for (const cell of cells) {
        const { result, ms } = await timedInfill(client, inlineRequest(inlineContext(doc, offset, windows[cell.context]), cell.canvas));
        bar.update(++sent);
        if (i < warmUpRounds) continue;
        cell.samples.push(result.stats);
        cell.latencyMs.push(ms);
      }
    }
  } finally {
    bar.finish();
  }
  return cells;
}

/**
 * Window sizes that give about `targetTokens` context tokens with this model's tokenizer on the
 * benchmark document: start from a guess of characters per token, send probe requests on a few
 * cursors, and rescale by target / median promptTokens until within 5%. Code has at least one
 * character per token, so a first guess of 1 can never be cut by the engine's own limit.
 */
export async function calibrateWindow(client: EngineClient, doc: string, cursors: readonly number[], targetTokens: number): Promise<{ sizes: number; charsPerToken: number; promptTokens: number }> {
  let charsPerToken = 1;
  let sizes = windowForTokens(targetTokens, charsPerToken);
  let promptTokens = 0;
  for (let round = 0; round < 5; round++) {
    sizes = windowForTokens(targetTokens, charsPerToken);
    const counts: number[] = [];
    for (const offset of cursors) counts.push((await client.infill(inlineRequest(inlineContext(doc, offset, sizes), 16))).stats.promptTokens);
    promptTokens = percentile(counts, 50);
    if (Math.abs(promptTokens - targetTokens) <= 0.05 * targetTokens) break;
    charsPerToken *= Math.min(4, Math.max(0.5, targetTokens / Math.max(1, promptTokens)));
  }
  return { sizes, charsPerToken, promptTokens };
}

/** Microseconds for the extension-side cache hit: hashing the window into a key plus an LRU lookup. */
export function timeLruHit(window: { prefix: string; suffix: string }): Summary {
  const cache = new LRUCache<string, string>({ max: 64 });
  const settings = { maxTokens: 32, stepBudget: 32, sampler: { kind: 'saber' } };
  cache.set(cacheKey({ ...window, language: 'python', settings }), 'cached completion');
  const us: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    const hit = cache.get(cacheKey({ ...window, language: 'python', settings }));
    us.push((performance.now() - t0) * 1000);
    if (hit === undefined) throw new Error('cache key is not stable');
  }
  return summarize(us);
}
