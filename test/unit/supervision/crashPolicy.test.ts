import { strict as assert } from 'node:assert';
import { CrashPolicy } from '../../../src/supervision/crashPolicy';

describe('CrashPolicy', () => {
  it('restarts with doubling delays and gives up at the fifth crash within three minutes', () => {
    const p = new CrashPolicy({ maxCrashes: 5, windowMs: 180_000, baseDelayMs: 500, maxDelayMs: 30_000 });
    const delays = [0, 1000, 2000, 3000].map((t) => p.onCrash(t));
    assert.deepEqual(delays.map((d) => (d.restart ? d.delayMs : -1)), [500, 1000, 2000, 4000]);
    assert.deepEqual(p.onCrash(4000), { restart: false, crashesInWindow: 5 });
  });

  it('forgets crashes older than the window', () => {
    const p = new CrashPolicy({ maxCrashes: 3, windowMs: 1000, baseDelayMs: 100, maxDelayMs: 1000 });
    p.onCrash(0);
    p.onCrash(10);
    assert.deepEqual(p.onCrash(5000), { restart: true, delayMs: 100, crashesInWindow: 1 });
  });

  it('caps the delay and starts over after reset', () => {
    const p = new CrashPolicy({ maxCrashes: 100, windowMs: 1e9, baseDelayMs: 500, maxDelayMs: 3000 });
    let last = p.onCrash(0);
    for (let i = 1; i < 10; i++) last = p.onCrash(i);
    assert.ok(last.restart && last.delayMs === 3000);
    p.reset();
    const after = p.onCrash(11);
    assert.ok(after.restart && after.delayMs === 500);
  });
});
