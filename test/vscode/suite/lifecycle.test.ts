/**
 * The engine's process lives only while it is needed: unloaded after the idle time
 * (dllm.idleUnloadMinutes) and while inline completions are snoozed, loaded again by the next
 * request. (That no process runs before the first request is activation.test.ts's.)
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DllmApi } from '../../../src/extension/api';
import { isAlive } from '../../support/process';
import { closeAllEditors, openEditor, readyApi, report, triggerInline, waitFor, withSetting } from './helpers';

/** A request in a Python editor: the engine must answer it (whatever the model makes of it). */
async function askTheModel(api: DllmApi): Promise<void> {
  const requests = api.activity.inlineRequests;
  await openEditor('python', 'def subtract(a, b):\n    return ');
  const outcome = await triggerInline(api);
  assert.ok(api.activity.inlineRequests > requests, `the model was not asked: ${outcome.reason}`);
  assert.doesNotMatch(outcome.reason ?? '', /engine/, 'the request failed');
}

describe('engine lifetime', () => {
  const restore: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (restore.length) await restore.pop()!();
    await vscode.commands.executeCommand('dllm.snooze', 0);
    await closeAllEditors();
  });

  it('unloads the engine after the idle time, ending its process, and the next request loads it again', async () => {
    const api = await readyApi();
    const pid = api.engine.pid!;
    const unloads = api.engine.unloads;
    const restarts = api.engine.restarts;
    restore.push(await withSetting('idleUnloadMinutes', 0.02)); // 1.2 s
    const started = Date.now();
    await waitFor('the engine to unload', () => api.engine.state.kind === 'stopped', 20_000);
    const state = api.engine.state;
    assert.ok(state.kind === 'stopped' && /no request for 1 s/.test(state.unloaded ?? ''), JSON.stringify(state));
    assert.equal(api.engine.unloads, unloads + 1);
    assert.equal(api.health, 'idle');
    await waitFor('the engine process to end', () => !isAlive(pid), 10_000);
    report(`unloaded after ${Date.now() - started} ms idle (setting 1.2 s)`);

    const reloadStarted = Date.now();
    await askTheModel(api);
    assert.equal(api.engine.state.kind, 'ready');
    assert.notEqual(api.engine.pid, pid);
    assert.equal(api.engine.restarts, restarts, 'a reload is not a restart');
    report(`reloaded and answered in ${Date.now() - reloadStarted} ms`);
  });

  it('unloads the engine while inline completions are snoozed; it stays unloaded after, until asked', async () => {
    const api = await readyApi();
    const pid = api.engine.pid!;
    await vscode.commands.executeCommand('dllm.snooze', 5);
    await waitFor('the engine to unload', () => api.engine.state.kind === 'stopped', 20_000);
    const state = api.engine.state;
    assert.ok(state.kind === 'stopped' && /snoozed/.test(state.unloaded ?? ''), JSON.stringify(state));
    assert.equal(api.health, 'snoozed');
    await waitFor('the engine process to end', () => !isAlive(pid), 10_000);

    await vscode.commands.executeCommand('dllm.snooze', 0);
    assert.equal(api.engine.state.kind, 'stopped', 'resuming alone loads nothing');
    await askTheModel(api);
    assert.equal(api.engine.state.kind, 'ready');
  });
});
