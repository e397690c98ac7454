import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { closeAllEditors, openEditor, readyApi, triggerInline, report } from './helpers';

describe('inline completion provider', () => {
  afterEach(closeAllEditors);

  it('returns a suggestion from the model for a Python document', async () => {
    const api = await readyApi();
    const requestsBefore = api.inlineRequests;
    await openEditor('python', 'def add(a, b):\n    """Return the sum of a and b."""\n    return ');
    const outcome = await triggerInline(api);
    assert.ok(outcome.text, `no suggestion: ${outcome.reason}`);
    assert.equal(outcome.source, 'model');
    assert.ok(outcome.text.trim().length > 0);
    assert.ok(api.inlineRequests > requestsBefore, 'the model was not asked');
    const stats = api.lastStats;
    assert.ok(stats, 'no statistics');
    const budget = vscode.workspace.getConfiguration('dllm').get<number>('inline.stepBudget')!;
    assert.ok(stats.forwardPasses >= 1 && stats.forwardPasses <= budget, `${stats.forwardPasses} passes, budget ${budget}`);
    report(`suggestion ${JSON.stringify(outcome.text)}: ${stats.forwardPasses} passes, ${Math.round(stats.totalMs)} ms in the engine`);
  });

  it('returns a suggestion for a TypeScript document', async () => {
    const api = await readyApi();
    await openEditor('typescript', 'export function square(x: number): number {\n  return ');
    const outcome = await triggerInline(api);
    assert.ok(outcome.text, `no suggestion: ${outcome.reason}`);
    assert.ok(outcome.text.trim().length > 0);
  });
});
