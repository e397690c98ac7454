import { strict as assert } from 'node:assert';
import { cancellableSleep } from '../../../src/editor/cancellableSleep';

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
