/**
 * Switching models: "dLLM: Select Model…" with a second model folder (a copy of the bundled model
 * under another name), back with "dLLM: Use the Bundled Model", a folder that is not a model
 * refused before anything changes, and "dLLM: Convert a Hugging Face Checkpoint…" ending with the
 * converted model in use.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DllmApi } from '../../../src/extension/api';
import type { ConvertCommandOutcome } from '../../../src/extension/convertCommand';
import type { ModelChoiceOutcome } from '../../../src/extension/modelCommands';
import { DREAM_SPEC, writeTinyCheckpointFolder } from '../../unit/convert/tinyCheckpoint';
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

  it('converts a Hugging Face checkpoint and runs the converted model', async () => {
    const api = await readyApi();
    const checkpoint = path.join(tmp, 'Dream-tiny');
    writeTinyCheckpointFolder(checkpoint, DREAM_SPEC);
    const converted = path.join(tmp, 'converted', 'dream-tiny');
    const started = Date.now();
    const outcome = await vscode.commands.executeCommand<ConvertCommandOutcome>('dllm.convertCheckpoint', { from: checkpoint, to: converted });
    assert.ok(outcome.conversion?.ok, JSON.stringify(outcome));
    assert.equal(outcome.modelPath, converted);
    assert.equal(vscode.workspace.getConfiguration('dllm').get('modelPath'), converted);
    await runningModel(api, 'dream-tiny', converted);
    report(`converted a tiny checkpoint and switched to it in ${Date.now() - started} ms`);
    const state = api.engine.state;
    assert.ok(state.kind === 'ready' && state.model.contract === 'full' && state.model.family === 'dream');
    await openEditor('python', 'def add(a, b):\n    return ');
    const requests = api.activity.inlineRequests;
    const answer = await triggerInline(api);
    assert.ok(api.activity.inlineRequests > requests, `the converted model was not asked: ${answer.reason}`);
  });

  it('refuses a checkpoint it cannot convert, saying why, and changes nothing', async () => {
    const api = await readyApi();
    const pid = api.engine.pid;
    const before = vscode.workspace.getConfiguration('dllm').get('modelPath');
    const checkpoint = path.join(tmp, 'unknown-family');
    writeTinyCheckpointFolder(checkpoint, DREAM_SPEC);
    const config = JSON.parse(fs.readFileSync(path.join(checkpoint, 'config.json'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(path.join(checkpoint, 'config.json'), JSON.stringify({ ...config, model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }));
    const target = path.join(tmp, 'converted', 'unknown');
    const outcome = await vscode.commands.executeCommand<ConvertCommandOutcome>('dllm.convertCheckpoint', { from: checkpoint, to: target });
    assert.ok(outcome.conversion && !outcome.conversion.ok && !outcome.conversion.cancelled, JSON.stringify(outcome));
    assert.match(outcome.conversion.message, /dream|llada/i, 'the refusal names the supported families');
    assert.equal(outcome.modelPath, undefined);
    assert.ok(!fs.existsSync(target), 'nothing is left where the model would have gone');
    assert.equal(vscode.workspace.getConfiguration('dllm').get('modelPath'), before);
    assert.equal(api.engine.pid, pid, 'the engine was restarted');
  });
});
