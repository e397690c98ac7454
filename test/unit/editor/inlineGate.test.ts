import { strict as assert } from 'node:assert';
import { SnoozeState } from '../../../src/editor/inlineGate';
import { memoryStore } from './memoryStore';

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
