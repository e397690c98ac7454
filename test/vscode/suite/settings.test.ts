import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { closeAllEditors, openEditor, readyApi, triggerInline, waitFor, withSetting, report } from './helpers';

describe('settings', () => {
  const restore: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (restore.length) await restore.pop()!();
    await closeAllEditors();
  });

  it('declares a default for every dllm.* setting, as the extension reads them', () => {
    const ext = vscode.extensions.getExtension('dllm-complete.dllm-complete')!;
    const sections = (ext.packageJSON as { contributes: { configuration: { properties: Record<string, { default?: unknown }> }[] } }).contributes.configuration;
    const declared = Object.assign({}, ...sections.map((s) => s.properties)) as Record<string, { default?: unknown }>;
    const config = vscode.workspace.getConfiguration();
    const keys = Object.keys(declared);
    assert.ok(keys.includes('dllm.inline.stepBudget'), 'dllm.inline.stepBudget is not declared');
    for (const [key, setting] of Object.entries(declared)) {
      assert.ok('default' in setting, `${key} has no default`);
      assert.deepEqual(config.inspect(key)?.defaultValue, setting.default, key);
    }
  });

  it('dllm.inline.enabled = false stops automatic suggestions; Toggle Inline turns them back on', async () => {
    const api = await readyApi();
    restore.push(await withSetting('inline.enabled', false));
    const editor = await openEditor('python', 'def greet(name):\n    return ');
    const before = api.activity.lastInline?.id ?? 0;
    // Typing triggers the provider automatically, as in the editor.
    await vscode.commands.executeCommand('type', { text: 'f' });
    const off = await waitFor('the provider to answer the typing', () => {
      const last = api.activity.lastInline;
      return last && last.id > before && !/superseded/.test(last.reason ?? '') ? last : undefined;
    });
    assert.equal(off.text, undefined);
    assert.match(off.reason ?? '', /dllm\.inline\.enabled/);

    const on = await vscode.commands.executeCommand<boolean>('dllm.toggleInline');
    assert.equal(on, true);
    await waitFor('dllm.inline.enabled to be true', () => vscode.workspace.getConfiguration('dllm').get('inline.enabled') === true);
    assert.equal(editor.document.getText(), 'def greet(name):\n    return f');
  });

  it('dllm.inline.stepBudget changes the forward passes an inline completion spends', async () => {
    const api = await readyApi();
    // Fixed steps make the pass count follow the budget, not the model's confidence.
    restore.push(await withSetting('sampler.kind', 'lowConfidence'));
    const passes = async (budget: number): Promise<number> => {
      restore.push(await withSetting('inline.stepBudget', budget));
      await openEditor('python', 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n    ');
      const requests = api.activity.inlineRequests;
      await triggerInline(api);
      assert.ok(api.activity.inlineRequests > requests, `budget ${budget}: the model was not asked`);
      const stats = api.activity.lastStats;
      assert.ok(stats, 'no statistics');
      return stats.forwardPasses;
    };
    const one = await passes(1);
    const sixteen = await passes(16);
    report(`forward passes: budget 1 -> ${one}, budget 16 -> ${sixteen}`);
    assert.equal(one, 1);
    assert.ok(sixteen > 1 && sixteen <= 16, `budget 16 spent ${sixteen} passes`);
  });
});
