/** Figures of one latency cell (context size × canvas) of the inline-shaped benchmark. */
import type { InfillStats } from '../../src/protocol/protocol';
import { mean, summarize, type Summary } from './stats';

export interface LatencyCell {
  context: 'short' | 'long';
  canvas: number;
  /** The engine's statistics of each timed request. */
  samples: InfillStats[];
  /** Client round trip of each timed request, same order as `samples`. */
  latencyMs: number[];
}

/**
 * What the request would have cost had the split model re-encoded its context on every forward
 * pass instead of once: passes × context-pass time + the canvas passes. Computed from the
 * engine's measured parts, not measured; a lower bound for a cache-less model.
 */
export function contextEveryPassMs(s: Pick<InfillStats, 'forwardPasses' | 'encodeMs' | 'denoiseMs'>): number {
  return s.forwardPasses * s.encodeMs + s.denoiseMs;
}

/** The context pass once plus the canvas passes, as measured. */
export function contextOnceMs(s: Pick<InfillStats, 'encodeMs' | 'denoiseMs'>): number {
  return s.encodeMs + s.denoiseMs;
}

export interface CellSummary {
  context: LatencyCell['context'];
  canvas: number;
  promptTokens: Summary;
  latencyMs: Summary;
  serverMs: Summary;
  encodeMs: Summary;
  denoisePerPassMs: Summary;
  forwardPasses: Summary;
  tokensPerForward: number;
  withCacheMs: Summary;
  withoutCacheMs: Summary;
}

export function summarizeCell(cell: LatencyCell): CellSummary {
  const s = cell.samples;
  return {
    context: cell.context,
    canvas: cell.canvas,
    promptTokens: summarize(s.map((x) => x.promptTokens)),
    latencyMs: summarize(cell.latencyMs),
    serverMs: summarize(s.map((x) => x.totalMs)),
    encodeMs: summarize(s.map((x) => x.encodeMs)),
    denoisePerPassMs: summarize(s.map((x) => x.denoiseMs / Math.max(1, x.forwardPasses))),
    forwardPasses: summarize(s.map((x) => x.forwardPasses)),
    tokensPerForward: mean(s.map((x) => x.tokensPerForward)),
    withCacheMs: summarize(s.map(contextOnceMs)),
    withoutCacheMs: summarize(s.map(contextEveryPassMs)),
  };
}
