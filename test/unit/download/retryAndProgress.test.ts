/**
 * The back-off schedule, which failures are tried again, and the progress arithmetic (rate over a
 * recent window, time left), with a fake clock.
 */
import * as assert from 'node:assert';
import { DownloadError, refusal } from '../../../src/download/errors';
import { ProgressMeter, describeProgress } from '../../../src/download/progress';
import { TransientError, backoffMs, isRetryable } from '../../../src/download/retry';

describe('download retries', () => {
  it('waits 1, 2, 4, 8… seconds, capped', () => {
    const policy = { retries: 8, baseMs: 1000, maxMs: 10_000 };
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, policy)), [1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('tries a cut connection, a timeout and a busy server again, never a refusal, a cancel or no network', () => {
    const what = { repo: 'a/b', revision: 'main', endpoint: 'https://h' };
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'EPIPE']) assert.ok(isRetryable(Object.assign(new Error('x'), { code })), code);
    assert.ok(isRetryable(new TransientError('short')));
    assert.ok(isRetryable(refusal(503, undefined, what)));
    assert.ok(isRetryable(refusal(429, undefined, what)));
    for (const status of [401, 403, 404, 400]) assert.ok(!isRetryable(refusal(status, undefined, what)), String(status));
    assert.ok(!isRetryable(new DownloadError('cancelled', 'c')));
    assert.ok(!isRetryable(new DownloadError('checksum', 'c')));
    assert.ok(!isRetryable(Object.assign(new Error('x'), { code: 'ENOSPC' })));
    assert.ok(!isRetryable(new Error('plain')));
  });
});

describe('download progress', () => {
  it('counts bytes already on disk as done but not toward the rate, and gives the time left', () => {
    let now = 0;
    const meter = new ProgressMeter(10_000_000, 2_000_000, () => now);
    now = 1000;
    meter.add(1_000_000);
    now = 2000;
    meter.add(1_000_000);
    const p = meter.snapshot('model.safetensors');
    assert.equal(p.bytesDone, 4_000_000);
    assert.equal(p.bytesPerSecond, 1_000_000);
    assert.equal(p.secondsLeft, 6);
    assert.equal(describeProgress(p), '4.0 MB of 10.0 MB · 1.0 MB/s · 6 s left');
  });

  it('follows the recent rate, not the average since the start', () => {
    let now = 0;
    const meter = new ProgressMeter(1e9, 0, () => now);
    for (let s = 1; s <= 20; s++) {
      now = s * 1000;
      meter.add(s <= 10 ? 10e6 : 1e6); // 10 MB/s, then 1 MB/s
    }
    assert.ok(Math.abs(meter.snapshot('f').bytesPerSecond - 1e6) < 1, String(meter.snapshot('f').bytesPerSecond));
  });

  it('has no rate or time left before two samples, and none left at the end', () => {
    let now = 0;
    const meter = new ProgressMeter(100, 0, () => now);
    assert.equal(meter.snapshot('f').secondsLeft, undefined);
    assert.equal(describeProgress(meter.snapshot('f')), '0 kB of 0 kB');
    now = 10;
    meter.add(100);
    assert.equal(meter.snapshot('f').secondsLeft, 0);
  });
});
