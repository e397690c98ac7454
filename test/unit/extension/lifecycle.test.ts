import { strict as assert } from 'node:assert';
import { cancellableSleep } from '../../../src/extension/cancellableSleep';
import { CrashPolicy } from '../../../src/extension/crashPolicy';
import { isCompletionScheme } from '../../../src/extension/documentFilter';
import type { EngineState } from '../../../src/extension/engineState';
import { describeStatus, healthOf, type StatusInput } from '../../../src/extension/statusModel';

/** A minimal cancellation source with VS Code's token shape. */
function tokenSource() {
  const listeners = new Set<() => void>();
  const token = {
    isCancellationRequested: false,
    onCancellationRequested(listener: () => void) {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
  };
  return {
    token,
    listeners,
    cancel() {
      token.isCancellationRequested = true;
      for (const l of [...listeners]) l();
    },
  };
}

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

describe('status model', () => {
  const ready: EngineState = {
    kind: 'ready',
    pid: 42,
    model: { name: 'tiny', path: '/m', contract: 'split', vocabSize: 4096, maxContextTokens: 1024, maxCanvasTokens: 128 },
    device: { provider: 'cpu', kind: 'cpu', threads: 2 },
    warnings: [],
    startupMs: 300,
  };
  const base: StatusInput = { engine: ready, inlineEnabled: true, now: 1_000_000, busy: false };

  it('orders health: error, loading, busy, snoozed, off, ready', () => {
    assert.equal(healthOf({ ...base, engine: { kind: 'failed', message: 'x' }, busy: true }), 'error');
    assert.equal(healthOf({ ...base, engine: { kind: 'starting', attempt: 1 } }), 'loading');
    assert.equal(healthOf({ ...base, engine: { kind: 'restarting', reason: 'crash', delayMs: 500, attempt: 2 } }), 'loading');
    assert.equal(healthOf({ ...base, busy: true, inlineEnabled: false }), 'busy');
    assert.equal(healthOf({ ...base, snoozedUntil: base.now + 1000, inlineEnabled: false }), 'snoozed');
    assert.equal(healthOf({ ...base, snoozedUntil: base.now - 1 }), 'ready');
    assert.equal(healthOf({ ...base, inlineEnabled: false }), 'off');
    assert.equal(healthOf(base), 'ready');
  });

  it('shows the device, last latency and forward passes when ready', () => {
    const v = describeStatus({ ...base, last: { totalMs: 141.6, forwardPasses: 9 } });
    assert.equal(v.text, '$(sparkle) dLLM CPU · 142 ms · 9 passes');
    assert.match(v.tooltip, /Model: tiny/);
    assert.equal(v.background, undefined);
  });

  it('shows the failure with an error background', () => {
    const v = describeStatus({ ...base, engine: { kind: 'failed', message: 'gave up after 5 crashes' } });
    assert.equal(v.background, 'error');
    assert.match(v.tooltip, /gave up after 5 crashes/);
  });

  it('counts snooze minutes up', () => {
    const v = describeStatus({ ...base, snoozedUntil: base.now + 14 * 60_000 + 1 });
    assert.equal(v.text, '$(clock) dLLM 15 min');
  });
});

describe('cancellableSleep', () => {
  it('resolves true after the delay', async () => {
    const { token, listeners } = tokenSource();
    assert.equal(await cancellableSleep(5, token), true);
    assert.equal(listeners.size, 0, 'listener disposed');
  });

  it('resolves false at once when cancelled during the sleep', async () => {
    const s = tokenSource();
    const started = Date.now();
    const sleeping = cancellableSleep(10_000, s.token);
    setTimeout(() => s.cancel(), 5);
    assert.equal(await sleeping, false);
    assert.ok(Date.now() - started < 1000);
    assert.equal(s.listeners.size, 0);
  });

  it('resolves false for an already cancelled token', async () => {
    const s = tokenSource();
    s.cancel();
    assert.equal(await cancellableSleep(10_000, s.token), false);
  });
});

describe('isCompletionScheme', () => {
  it('accepts editors and refuses panels and inputs', () => {
    for (const s of ['file', 'untitled', 'vscode-notebook-cell', 'vscode-remote', 'vscode-vfs']) assert.ok(isCompletionScheme(s), s);
    for (const s of ['output', 'vscode-scm', 'comment', 'vscode-chat-code-block', 'debug', 'git']) assert.ok(!isCompletionScheme(s), s);
  });
});
