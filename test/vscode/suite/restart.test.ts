import * as assert from 'node:assert/strict';
import { closeAllEditors, openEditor, readyApi, triggerInline, waitFor } from './helpers';

describe('engine supervision', () => {
  afterEach(closeAllEditors);

  it('restarts the engine after its process is killed, and completions come back', async () => {
    const api = await readyApi();
    const pid = api.engine.pid;
    assert.ok(pid, 'no engine process');
    const restarts = api.engine.restarts;

    process.kill(pid, 'SIGKILL');
    await waitFor('a new engine process', () => api.engine.restarts > restarts && api.engine.state.kind === 'ready', 60_000);
    assert.notEqual(api.engine.pid, pid);
    assert.throws(() => process.kill(pid, 0), 'the old process is still alive');

    // The new engine answers: the request reaches it and comes back with its statistics (what
    // the model makes of this prompt is the inline tests' business, not supervision's).
    const requests = api.activity.inlineRequests;
    const statsBefore = api.activity.lastStats;
    await openEditor('python', 'def subtract(a, b):\n    return ');
    const outcome = await triggerInline(api);
    assert.ok(api.activity.inlineRequests > requests, `the new engine was not asked: ${outcome.reason}`);
    assert.doesNotMatch(outcome.reason ?? '', /engine|not ready/, 'the request failed');
    assert.ok(api.activity.lastStats && api.activity.lastStats !== statsBefore && api.activity.lastStats.forwardPasses >= 1, 'no answer from the new engine');
  });
});
