import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DllmApi, InlineOutcome } from '../../../src/extension/api';
import { closeAllEditors, openEditor, readyApi, report, sleep, triggerInline, waitFor } from './helpers';

/**
 * Asks for a suggestion at the end of each document in turn until one comes back with text: a
 * small model may leave the middle empty for one prompt, but not for every common one.
 */
async function firstSuggestion(api: DllmApi, language: string, documents: string[]): Promise<InlineOutcome> {
  const misses: string[] = [];
  for (const content of documents) {
    await openEditor(language, content);
    const outcome = await triggerInline(api);
    if (outcome.text?.trim()) return outcome;
    misses.push(outcome.reason ?? 'no text');
  }
  assert.fail(`no ${language} suggestion in ${documents.length} tries: ${misses.join(' | ')}`);
}

describe('inline completion provider', () => {
  afterEach(closeAllEditors);

  it('returns a suggestion from the model for a Python document', async () => {
    const api = await readyApi();
    const requestsBefore = api.activity.inlineRequests;
    const outcome = await firstSuggestion(api, 'python', [
      'def add(a, b):\n    """Return the sum of a and b."""\n    return ',
      'import os\n\n\ndef list_python_files(folder):\n    """Return the .py files in folder."""\n    ',
      'for i in range(10):\n    ',
      'class Point:\n    def __init__(self, x, y):\n        self.x = x\n        ',
    ]);
    assert.equal(outcome.source, 'model');
    assert.ok(api.activity.inlineRequests > requestsBefore, 'the model was not asked');
    const stats = api.activity.lastStats;
    assert.ok(stats, 'no statistics');
    const budget = vscode.workspace.getConfiguration('dllm').get<number>('inline.stepBudget')!;
    assert.ok(stats.forwardPasses >= 1 && stats.forwardPasses <= budget, `${stats.forwardPasses} passes, budget ${budget}`);
    report(`Python suggestion ${JSON.stringify(outcome.text)}: ${stats.forwardPasses} passes, ${Math.round(stats.totalMs)} ms in the engine, ${outcome.ms} ms in the provider`);
  });

  it('returns a suggestion for a TypeScript document', async () => {
    const api = await readyApi();
    const outcome = await firstSuggestion(api, 'typescript', [
      '/** Returns x squared. */\nexport function square(x: number): number {\n  return ',
      'export function sum(values: number[]): number {\n  let total = 0;\n  for (const v of values) {\n    ',
      'const names = ["a", "b", "c"];\nfor (const name of names) {\n  ',
      'import * as fs from "fs";\n\nconst text = fs.',
    ]);
    report(`TypeScript suggestion ${JSON.stringify(outcome.text)}`);
  });

  it('typing a line: the model runs at most once per keystroke, and the last keystroke gets an answer', async () => {
    // Behaviour only: how FEW runs a typed line costs depends on the machine's speed, and is
    // measured by the typing benchmark (npm run bench:typing), not here.
    const api = await readyApi();
    const editor = await openEditor('python', 'def greet(name):\n    ');
    const callsBefore = api.activity.inlineCalls;
    const runsBefore = api.activity.inlineRequests;
    const line = 'message = "Hello, " + name + "! Welcome"';
    for (const ch of line) {
      await vscode.commands.executeCommand('type', { text: ch });
      await sleep(125);
    }
    const lastCall = api.activity.inlineCalls;
    assert.ok(lastCall > callsBefore, 'VS Code never asked the provider while typing');
    // The provider call for the final text ends with an answer: text, or why there is none, but
    // not a request superseded by later typing.
    await waitFor('an answer for the final text', () => {
      const last = api.activity.lastInline;
      return last && last.id >= lastCall && !/superseded|cancelled/.test(last.reason ?? '');
    });
    assert.equal(editor.document.getText(), `def greet(name):\n    ${line}`, 'typing alone changed nothing else');
    const calls = api.activity.inlineCalls - callsBefore;
    const runs = api.activity.inlineRequests - runsBefore;
    report(`typing ${line.length} characters at 8/s: the provider was asked ${calls} times, the model ran ${runs} times`);
    assert.ok(runs <= line.length, `the model ran ${runs} times for ${line.length} keystrokes`);
  });

  it('a suggestion asked for by hand gets the longer canvas (dllm.inline.manualMaxTokens), typing the short one', async () => {
    const api = await readyApi();
    const modelCanvas = (api.engine.state.kind === 'ready' && api.engine.state.model.maxCanvasTokens) || 0;
    const config = vscode.workspace.getConfiguration('dllm');
    const manual = Math.min(config.get<number>('inline.manualMaxTokens')!, modelCanvas);
    const typing = Math.min(config.get<number>('inline.maxTokens')!, modelCanvas);
    assert.ok(manual > typing, `the defaults give no longer canvas (${manual} vs ${typing})`);

    await openEditor('python', 'def area(w, h):\n    """Return the area."""\n    ');
    const requests = api.activity.inlineRequests;
    await triggerInline(api);
    assert.ok(api.activity.inlineRequests > requests, 'the model was not asked');
    assert.equal(api.activity.lastStats?.canvasTokens, manual);

    const before = api.activity.lastInline?.id ?? 0;
    await vscode.commands.executeCommand('type', { text: 'r' });
    await waitFor('a request for the typing', () => api.activity.lastInline && api.activity.lastInline.id > before && api.activity.inlineRequests > requests + 1);
    assert.equal(api.activity.lastStats?.canvasTokens, typing);
    report(`canvas: ${manual} tokens asked for by hand, ${typing} while typing`);
  });
});
