import { strict as assert } from 'node:assert';
import { Activity } from '../../../src/editor/activity';
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
    await activity.track('inline', () => Promise.resolve(result('stop', 7)));
    assert.equal(activity.lastStats?.forwardPasses, 7);
    await activity.track('inline', () => Promise.resolve(result('cancelled', 2)));
    assert.equal(activity.lastStats?.forwardPasses, 7, 'a cancelled result does not replace the stats');
    await activity.track('command', () => Promise.resolve(result('length', 40)));
    assert.equal(activity.lastMode, 'command');
    assert.deepEqual([activity.inlineRequests, activity.commandRequests], [2, 1]);
    assert.deepEqual(seen, [1, 0, 1, 0, 1, 0]);
  });

  it('leaves nothing in flight when a request throws', async () => {
    const activity = new Activity();
    await assert.rejects(activity.track('inline', async () => Promise.reject(new Error('exited'))), /exited/);
    assert.equal(activity.inFlight, 0);
  });

  it('remembers why the last answer showed nothing, until one shows text; early endings leave it alone', async () => {
    const activity = new Activity();
    let changes = 0;
    activity.onDidChange(() => changes++);
    await activity.track('inline', () => Promise.resolve(result('stop', 12)));
    activity.recordInline({ id: 1, reason: 'the model left the middle empty', empty: true, ms: 90 });
    assert.equal(activity.nothingShown, 'the model left the middle empty');
    activity.recordInline({ id: 2, reason: 'superseded while debouncing', ms: 1 });
    assert.equal(activity.nothingShown, 'the model left the middle empty', 'a superseded call says nothing about the answer');
    activity.recordInline({ id: 3, source: 'cache', text: 'x', ms: 1 });
    assert.equal(activity.nothingShown, undefined);
    activity.recordEmptyCommand('the model left the hole empty (9 passes)');
    assert.equal(activity.nothingShown, 'the model left the hole empty (9 passes)');
    await activity.track('command', () => Promise.resolve(result('stop', 9)));
    assert.equal(activity.nothingShown, undefined, 'a new answer starts clean');
    assert.ok(changes >= 6, 'the status bar hears of each change');
  });

  it('counts cache and typed-through hits', () => {
    const activity = new Activity();
    activity.recordInline({ id: 1, source: 'cache', text: 'a', ms: 1 });
    activity.recordInline({ id: 2, source: 'typedThrough', text: 'b', ms: 1 });
    activity.recordInline({ id: 3, reason: 'no', ms: 1 });
    assert.deepEqual([activity.cacheHits, activity.typedThroughHits, activity.lastInline?.reason], [1, 1, 'no']);
  });
});
