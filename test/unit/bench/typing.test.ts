import * as assert from 'node:assert/strict';
import { statsOfUnrunInfill } from '../../../src/protocol/protocol';
import { extensionDefaults, requestTimes, summarizeTyping, typingText, type TypedRequest } from '../../../bench/lib/typing';

describe('bench/typing', () => {
  it('sends a request a debounce after every keystroke that no keystroke follows within it', () => {
    assert.deepEqual(requestTimes(3, 200, 150), [
      { keystroke: 0, atMs: 150 },
      { keystroke: 1, atMs: 350 },
      { keystroke: 2, atMs: 550 },
    ]);
    // Typing faster than the debounce: only the last keystroke of the burst asks.
    assert.deepEqual(requestTimes(3, 100, 150), [{ keystroke: 2, atMs: 350 }]);
  });

  it("types the extension's defaults into a real file", () => {
    const settings = extensionDefaults(200);
    assert.equal(settings.debounceMs, 150);
    assert.equal(settings.sampler.kind, 'saber');
    const text = typingText(40);
    assert.equal(text.span.length, 40);
    assert.ok(text.span.startsWith('def pack_rows('));
    assert.ok(text.before.length > 10_000, 'enough text before the cursor to fill a long window');
  });

  it('summarizes answered requests, and counts superseded and fresh ones apart', () => {
    const request = (keystroke: number, ms: number, reused: number, cancelled = false): TypedRequest => ({
      keystroke,
      ms,
      finishReason: cancelled ? 'cancelled' : 'stop',
      stats: { ...statsOfUnrunInfill('cpu'), contextReused: reused, contextEncoded: reused > 0 ? 5 : 400, totalMs: ms - 1 },
    });
    const run = summarizeTyping('x', 'm', 448, true, extensionDefaults(200), 4, [request(0, 100, 0), request(1, 40, 395), request(2, 900, 0, true), request(3, 60, 395)]);
    assert.equal(run.requests, 4);
    assert.equal(run.answered, 3);
    assert.equal(run.superseded, 1);
    assert.equal(run.fresh, 1);
    assert.equal(run.latencyMs.p50, 60);
    assert.equal(run.reusingMs.p50, 50);
    assert.equal(run.freshMs.p50, 100);
    assert.equal(run.contextEncoded.p50, 5);
  });
});
