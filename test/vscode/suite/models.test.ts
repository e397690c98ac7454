/**
 * Switching models: "dLLM: Select Model…" with a second model folder (a copy of the bundled model
 * under another name), back with "dLLM: Use the Bundled Model", and a folder that is not a model
 * refused before anything changes.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DllmApi } from '../../../src/extension/api';
import type { ModelChoiceOutcome } from '../../../src/extension/modelCommands';
import { closeAllEditors, extensionId, openEditor, readyApi, report, triggerInline, waitFor } from './helpers';

/** Waits until the engine runs the model named `name` from `folder`. */
async function runningModel(api: DllmApi, name: string, folder: string): Promise<void> {
  await waitFor(`the engine to run ${name}`, () => {
    const state = api.engine.state;
    return state.kind === 'ready' && state.model.name === name && path.resolve(state.model.path) === path.resolve(folder);
  }, 60_000);
}

describe('model management', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-second-model-'));
  });
  after(async () => {
    await vscode.workspace.getConfiguration('dllm').update('modelPath', undefined, vscode.ConfigurationTarget.Global);
    await closeAllEditors();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('switches to a second model folder and back to the bundled model', async () => {
    const api = await readyApi();
    const bundledFolder = path.join(vscode.extensions.getExtension(extensionId)!.extensionPath, 'models', 'dllm-code-tiny');
    const second = path.join(tmp, 'second-model');
    fs.cpSync(bundledFolder, second, { recursive: true });
    const manifestFile = path.join(second, 'dllm.json');
    fs.writeFileSync(manifestFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(manifestFile, 'utf8')), name: 'second-model' }, null, 2));

    const started = Date.now();
    const outcome = await vscode.commands.executeCommand<ModelChoiceOutcome>('dllm.selectModel', second);
    assert.deepEqual(outcome, { modelPath: second });
    assert.equal(vscode.workspace.getConfiguration('dllm').get('modelPath'), second);
    await runningModel(api, 'second-model', second);
    report(`switched to a second model folder in ${Date.now() - started} ms`);
    await openEditor('python', 'def add(a, b):\n    return ');
    const requests = api.activity.inlineRequests;
    const answer = await triggerInline(api);
    assert.ok(api.activity.inlineRequests > requests, `the second model was not asked: ${answer.reason}`);

    const back = await vscode.commands.executeCommand<ModelChoiceOutcome>('dllm.useBundledModel');
    assert.deepEqual(back, { modelPath: '' });
    assert.equal(vscode.workspace.getConfiguration('dllm').get('modelPath'), '');
    await runningModel(api, 'dllm-code-tiny', bundledFolder);
  });

  it('refuses a folder that is not a model, saying why, and changes nothing', async () => {
    const api = await readyApi();
    const pid = api.engine.pid;
    const notAModel = path.join(tmp, 'not-a-model');
    fs.mkdirSync(notAModel, { recursive: true });
    fs.writeFileSync(path.join(notAModel, 'dllm.json'), '{"format": 1, "name": "half"}');
    const outcome = await vscode.commands.executeCommand<ModelChoiceOutcome>('dllm.selectModel', notAModel);
    assert.ok(outcome.problem, JSON.stringify(outcome));
    assert.match(outcome.problem, /^dllm\.json: /);
    assert.equal(vscode.workspace.getConfiguration('dllm').get('modelPath'), '');
    assert.equal(api.engine.pid, pid, 'the engine was restarted');
  });
});
