import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { closeAllEditors, dllmApi, extensionId, openEditor, report, sleep, triggerInline } from './helpers';

describe('activation', () => {
  it('runs inside a real VS Code', () => {
    assert.match(vscode.version, /^\d+\.\d+\.\d+/);
  });

  it('activates and hands out its test API', async () => {
    const ext = vscode.extensions.getExtension(extensionId);
    assert.ok(ext, `${extensionId} is not installed`);
    const api = await dllmApi();
    assert.equal(ext.isActive, true);
    assert.equal(typeof api.ready, 'function');
    assert.ok(api.activationMs >= 0);
    report(`activate() took ${api.activationMs.toFixed(1)} ms`);
  });

  it('registers every command it contributes', async () => {
    const ext = vscode.extensions.getExtension(extensionId)!;
    const contributed = (ext.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command);
    assert.ok(contributed.length > 0);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      contributed.filter((c) => !registered.has(c)),
      [],
      'contributed but not registered',
    );
  });

  it('starts no engine process until the first request', async () => {
    const api = await dllmApi();
    await sleep(1500);
    assert.deepEqual(api.engine.state, { kind: 'stopped' });
    assert.equal(api.engine.pid, undefined);
    assert.equal(api.health, 'idle');
  });

  it('the first inline request starts the engine with the bundled model, and is answered', async () => {
    const api = await dllmApi();
    const started = Date.now();
    await openEditor('python', 'def add(a, b):\n    return ');
    const outcome = await triggerInline(api);
    await closeAllEditors();
    assert.equal(api.activity.inlineRequests, 1, `the model was not asked: ${outcome.reason}`);
    assert.doesNotMatch(outcome.reason ?? '', /engine/, 'the request failed');
    const state = api.engine.state;
    assert.equal(state.kind, 'ready');
    if (state.kind !== 'ready') return;
    assert.equal(typeof api.engine.pid, 'number');
    assert.ok(['cpu', 'gpu'].includes(state.device.kind), `device ${JSON.stringify(state.device)}`);
    assert.equal(api.health, 'ready');
    report(
      `engine ready (${state.model.name} on ${state.device.kind} via ${state.device.provider}); ` +
        `server start-up ${Math.round(state.startupMs)} ms; the first request took ${Date.now() - started} ms here, engine start included`,
    );
  });
});
