import { strict as assert } from 'node:assert';
import { Activity } from '../../../src/extension/activity';
import { SnoozeState, type KeyValueStore } from '../../../src/extension/inlineGate';
import type { InfillRequest } from '../../../src/protocol/protocol';

function memoryStore(): KeyValueStore & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return {
    data,
    get: <T>(key: string) => data.get(key) as T | undefined,
    update: async (key: string, value: unknown) => {
      if (value === undefined) data.delete(key);
      else data.set(key, value);
    },
  };
}

function result(finishReason: InfillRequest.Result['finishReason'], forwardPasses: number): InfillRequest.Result {
  return {
    text: 'x',
    finishReason,
    stats: {
      forwardPasses, tokens: 1, tokensPerForward: 1, remasked: 0, promptTokens: 1, canvasTokens: 1,
      tokenizeMs: 0, encodeMs: 0, denoiseMs: 0, totalMs: 1, device: 'cpu',
    },
  };
}

describe('SnoozeState', () => {
  it('snoozes until the deadline, survives a new instance on the same store, and resumes', async () => {
    let now = 1_000_000;
    const store = memoryStore();
    const snooze = new SnoozeState(store, () => now);
    let changes = 0;
    snooze.onDidChange(() => changes++);
    assert.equal(snooze.snoozed, false);
    await snooze.snooze(15);
    assert.equal(snooze.until, 1_000_000 + 15 * 60_000);
    assert.equal(changes, 1);

    const reloaded = new SnoozeState(store, () => now);
    assert.equal(reloaded.snoozed, true, 'a window reload keeps the snooze');

    now += 15 * 60_000;
    assert.equal(snooze.snoozed, false, 'ends at the deadline');
    now -= 60_000;
    await snooze.resume();
    assert.equal(snooze.snoozed, false);
    assert.equal(changes, 2);
    snooze.dispose();
    reloaded.dispose();
  });
});

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
