import * as assert from 'assert';
import type { InfillRequest } from '../../../src/protocol/protocol';
import { assertWellFormed, infillParams, requireBuildAndModel, startWithModel, type Harness } from './harness';

const MB = 1024 * 1024;

/** Inline requests as typing produces them: the text before the cursor changes every time. */
function typing(i: number): InfillRequest.Params {
  return infillParams({ mode: 'inline', prefix: `def add(a, b):\n    # step ${i}\n    return a`, maxTokens: 16, stepBudget: 8 });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('the inference child with the bundled model: cancel storm', function () {
  let h: Harness;
  let baselineRss = 0;

  before(async function () {
    requireBuildAndModel();
    h = await startWithModel();
    // Warm up: the first runs allocate the sessions' buffers.
    for (let i = 0; i < 5; i++) await h.client.infill(typing(i));
    baselineRss = (await h.client.status()).rssBytes;
  });
  after(() => h?.client.stop());

  it('200 inline requests sent at once: only the newest runs to the end', async () => {
    const before = await h.client.status();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => h.client.infill(typing(i))));
    const after = await h.client.status();

    assertWellFormed(results[199]!, typing(199)); // one result per request
    assert.deepStrictEqual(
      results.slice(0, 199).filter((r) => r.finishReason !== 'cancelled').map((_, i) => i),
      [],
      'every older request was superseded',
    );
    assert.strictEqual(after.received - before.received, 200);
    assert.strictEqual(after.completed - before.completed, 1, 'only the newest ran to the end');
    assert.strictEqual(after.cancelled - before.cancelled, 199);
    assert.strictEqual(after.inFlight, 0);
  });

  it('200 inline requests spread over a second, as fast typing sends them: the newest completes, memory stays flat', async () => {
    const before = await h.client.status();
    const pending: Promise<InfillRequest.Result>[] = [];
    for (let burst = 0; burst < 20; burst++) {
      for (let i = 0; i < 10; i++) pending.push(h.client.infill(typing(burst * 10 + i)));
      await sleep(50);
    }
    const results = await Promise.all(pending);
    const after = await h.client.status();

    assertWellFormed(results[199]!, typing(199)); // one result per request
    assert.strictEqual(after.received - before.received, 200);
    assert.strictEqual(after.completed + after.cancelled - before.completed - before.cancelled, 200, 'every request was answered');
    // Each burst supersedes the one before; a request completes only if no newer one came in time.
    assert.ok(after.completed - before.completed <= 20, `${after.completed - before.completed} completed`);
    assert.strictEqual(after.inFlight, 0);
    const growthMb = (after.rssBytes - baselineRss) / MB;
    assert.ok(growthMb < 50, `RSS grew by ${growthMb.toFixed(1)} MB over the storms`);
  });
});
