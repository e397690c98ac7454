/**
 * "dLLM: Add Model…" without dialogs (its argument names what to add): from a local checkpoint
 * folder, and from a local stand-in for the Hugging Face Hub; each ends with the converted model
 * selected and running, and "Remove a Converted Model…" deletes it, switching to the bundled model
 * first. A refused download leaves no model folder.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AddModelOutcome } from '../../../src/extension/addModelCommand';
import type { RemoveModelOutcome } from '../../../src/extension/removeModel';
import { HubServer } from '../../integration/download/hubServer';
import { DREAM_SPEC, writeTinyCheckpointFolder } from '../../unit/convert/tinyCheckpoint';
import { readyApi, report, waitFor } from './helpers';

describe('add model', () => {
  let tmp: string;
  let hub: HubServer;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-add-model-'));
    const checkpoint = path.join(tmp, 'hub-checkpoint');
    writeTinyCheckpointFolder(checkpoint, DREAM_SPEC, { 'README.md': '---\nlicense: apache-2.0\n---\n' });
    hub = await new HubServer('tiny-org/dream-hub').addFolder(checkpoint).start();
  });
  after(async () => {
    await vscode.workspace.getConfiguration('dllm').update('modelPath', undefined, vscode.ConfigurationTarget.Global);
    await hub.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Waits for the engine on `folder`, then removes it through the command; the bundled model takes over. */
  async function runsThenRemove(folder: string): Promise<void> {
    const api = await readyApi();
    await waitFor(`the engine to run ${folder}`, () => api.engine.state.kind === 'ready' && path.resolve(api.engine.state.model.path) === path.resolve(folder), 60_000);
    const removed = await vscode.commands.executeCommand<RemoveModelOutcome>('dllm.removeModel', { folder, confirmed: true });
    assert.deepEqual(removed, { removed: folder });
    assert.ok(!fs.existsSync(folder));
    assert.equal(vscode.workspace.getConfiguration('dllm').get('modelPath'), '');
  }

  it('adds a local checkpoint folder: converted into the extension storage and selected', async () => {
    const checkpoint = path.join(tmp, 'dream-local');
    writeTinyCheckpointFolder(checkpoint, DREAM_SPEC);
    const started = Date.now();
    const outcome = await vscode.commands.executeCommand<AddModelOutcome>('dllm.addModel', { folder: checkpoint });
    assert.ok(outcome.conversion?.ok, JSON.stringify(outcome));
    assert.equal(outcome.modelPath, outcome.conversion.dir);
    assert.equal(vscode.workspace.getConfiguration('dllm').get('modelPath'), outcome.conversion.dir);
    assert.match(outcome.conversion.dir, /[/\\]models[/\\]dream-local$/);
    report(`added a local checkpoint in ${Date.now() - started} ms`);
    await runsThenRemove(outcome.conversion.dir);
  });

  it('downloads from a Hub, verifies, converts and selects the model, removing the download', async () => {
    const started = Date.now();
    const outcome = await vscode.commands.executeCommand<AddModelOutcome>('dllm.addModel', { repo: 'tiny-org/dream-hub', endpoint: hub.endpoint });
    assert.ok(outcome.download?.ok && outcome.conversion?.ok, JSON.stringify(outcome));
    assert.equal(outcome.modelPath, outcome.conversion.dir);
    assert.match(outcome.conversion.dir, /[/\\]models[/\\]dream-hub$/);
    assert.ok(!fs.existsSync(outcome.download.dir), 'the checkpoint is removed once converted');
    assert.ok(hub.seen.some((r) => r.server === 'storage'), 'large files came through the storage redirect');
    report(`downloaded, converted and selected a model from a local Hub in ${Date.now() - started} ms`);
    await runsThenRemove(outcome.conversion.dir);
  });

  it('says why a download is refused and leaves no model folder', async () => {
    const before = vscode.workspace.getConfiguration('dllm').get('modelPath');
    const outcome = await vscode.commands.executeCommand<AddModelOutcome>('dllm.addModel', { repo: 'tiny-org/missing', endpoint: hub.endpoint });
    assert.ok(outcome.download && !outcome.download.ok, JSON.stringify(outcome));
    assert.equal(outcome.download.kind, 'notFound');
    assert.equal(outcome.conversion, undefined);
    assert.equal(vscode.workspace.getConfiguration('dllm').get('modelPath'), before);
  });

  it('refuses to remove a folder the extension did not make', async () => {
    const outside = path.join(tmp, 'not-ours');
    fs.mkdirSync(outside);
    const outcome = await vscode.commands.executeCommand<RemoveModelOutcome>('dllm.removeModel', { folder: outside, confirmed: true });
    assert.match(outcome.problem ?? '', /is not a folder the extension made/);
    assert.ok(fs.existsSync(outside));
  });
});
