import { strict as assert } from 'node:assert';
import { Activity } from '../../../src/extension/activity';
import type { InfillRequest } from '../../../src/protocol/protocol';

function result(finishReason: InfillRequest.Result['finishReason'], forwardPasses: number): InfillRequest.Result {
  return {
    text: 'x',
    finishReason,
    stats: {
      forwardPasses, tokens: 1, tokensPerForward: 1, remasked: 0, promptTokens: 1, contextEncoded: 1, contextReused: 0, canvasTokens: 1,
      tokenizeMs: 0, encodeMs: 0, denoiseMs: 0, totalMs: 1, device: 'cpu',
    },
  };
}

describe('Activity', () => {
  it('counts requests by mode, tracks in-flight work, and keeps stats of uncancelled results only', async () => {
    const activity = new Activity();
    const seen: number[] = [];
    activity.onDidChange(() => seen.push(activity.inFlight));
    await activity.track('inline', async () => result('stop', 7));
    assert.equal(activity.lastStats?.forwardPasses, 7);
    await activity.track('inline', async () => result('cancelled', 2));
    assert.equal(activity.lastStats?.forwardPasses, 7, 'a cancelled result does not replace the stats');
    await activity.track('command', async () => result('length', 40));
    assert.equal(activity.lastMode, 'command');
    assert.deepEqual([activity.inlineRequests, activity.commandRequests], [2, 1]);
    assert.deepEqual(seen, [1, 0, 1, 0, 1, 0]);
  });

  it('leaves nothing in flight when a request throws', async () => {
    const activity = new Activity();
    await assert.rejects(activity.track('inline', async () => Promise.reject(new Error('exited'))), /exited/);
    assert.equal(activity.inFlight, 0);
  });

  it('counts cache and typed-through hits', () => {
    const activity = new Activity();
    activity.recordInline({ id: 1, source: 'cache', text: 'a', ms: 1 });
    activity.recordInline({ id: 2, source: 'typedThrough', text: 'b', ms: 1 });
    activity.recordInline({ id: 3, reason: 'no', ms: 1 });
    assert.deepEqual([activity.cacheHits, activity.typedThroughHits, activity.lastInline?.reason], [1, 1, 'no']);
  });
});
