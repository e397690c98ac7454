import { strict as assert } from 'node:assert';
import { contextEveryPassMs, contextOnceMs, summarizeCell } from '../../../bench/lib/latency';
import type { InfillStats } from '../../../src/protocol/protocol';

const stats = (forwardPasses: number, encodeMs: number, denoiseMs: number): InfillStats => ({
  forwardPasses,
  tokens: 10,
  tokensPerForward: 32 / forwardPasses,
  remasked: 0,
  promptTokens: 200,
  contextEncoded: 200,
  contextReused: 0,
  canvasTokens: 32,
  tokenizeMs: 1,
  encodeMs,
  denoiseMs,
  totalMs: encodeMs + denoiseMs + 2,
  device: 'cpu',
});

describe('latency cell figures', () => {
  it('computes the cost of re-encoding the context on every pass', () => {
    // 8 passes, a 100 ms context pass, 8 × 15 ms of canvas passes.
    assert.equal(contextOnceMs(stats(8, 100, 120)), 220);
    assert.equal(contextEveryPassMs(stats(8, 100, 120)), 920);
    assert.equal(contextEveryPassMs(stats(1, 100, 15)), contextOnceMs(stats(1, 100, 15)));
  });

  it('summarizes per request, then takes medians', () => {
    const cell = { context: 'short' as const, canvas: 32, samples: [stats(4, 10, 40), stats(8, 20, 80), stats(16, 30, 160)], latencyMs: [60, 110, 200] };
    const s = summarizeCell(cell);
    assert.equal(s.latencyMs.p50, 110);
    assert.equal(s.forwardPasses.p50, 8);
    assert.equal(s.denoisePerPassMs.p50, 10);
    assert.equal(s.withCacheMs.p50, 100);
    assert.equal(s.withoutCacheMs.p50, 8 * 20 + 80);
    assert.equal(s.tokensPerForward, (8 + 4 + 2) / 3);
  });
});
