/**
 * Inline completions on and off per language: the status menu's "Disable for <language>"
 * (dllm.toggleLanguage), a `[language]` value of dllm.inline.enabled, and the status bar's
 * health following the active editor's language.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DllmApi } from '../../../src/extension/api';
import { closeAllEditors, dllmApi, openEditor, waitFor } from './helpers';

/** How the provider answers typing (an automatic request), once it has. */
async function typeAndSee(api: DllmApi, text: string): Promise<string | undefined> {
  const before = api.activity.lastInline?.id ?? 0;
  await vscode.commands.executeCommand('type', { text });
  const outcome = await waitFor('the provider to answer the typing', () => {
    const last = api.activity.lastInline;
    return last && last.id > before && !/superseded|cancelled/.test(last.reason ?? '') ? last : undefined;
  });
  return outcome.reason;
}

describe('per-language control', () => {
  const restore: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (restore.length) await restore.pop()!();
    await closeAllEditors();
  });

  it('"Disable for python" turns automatic completions off in Python alone, and the status bar follows the editor', async () => {
    const api = await dllmApi();
    const previous = vscode.workspace.getConfiguration('dllm').inspect('inline.languages')?.globalValue;
    restore.push(async () => {
      await vscode.workspace.getConfiguration('dllm').update('inline.languages', previous, vscode.ConfigurationTarget.Global);
    });
    await openEditor('python', 'def greet(name):\n    return ');
    const on = await vscode.commands.executeCommand<boolean>('dllm.toggleLanguage');
    assert.equal(on, false);
    await waitFor('dllm.inline.languages.python = false', () => vscode.workspace.getConfiguration('dllm').get<Record<string, boolean>>('inline.languages')?.python === false);
    // The other languages' entries (package.json's defaults) are kept.
    assert.deepEqual(vscode.workspace.getConfiguration('dllm').inspect('inline.languages')?.globalValue, {
      '*': true,
      plaintext: false,
      markdown: false,
      scminput: false,
      python: false,
    });
    assert.match((await typeAndSee(api, 'f')) ?? '', /off for language "python" \(dllm\.inline\.languages\)/);
    assert.equal(api.health, 'off');

    await openEditor('typescript', 'const x = ');
    assert.notEqual(api.health, 'off', 'TypeScript is still on');
    await openEditor('python', 'x = ');
    assert.equal(api.health, 'off');

    assert.equal(await vscode.commands.executeCommand<boolean>('dllm.toggleLanguage'), true);
    await waitFor('python back on', () => vscode.workspace.getConfiguration('dllm').get<Record<string, boolean>>('inline.languages')?.python === true);
    assert.doesNotMatch((await typeAndSee(api, '1')) ?? '', /off for language/);
  });

  it('honours a [language] value of dllm.inline.enabled, and enabling the language lifts it', async () => {
    const api = await dllmApi();
    const python = vscode.workspace.getConfiguration('dllm', { languageId: 'python' });
    await python.update('inline.enabled', false, vscode.ConfigurationTarget.Global, true);
    restore.push(async () => {
      await vscode.workspace.getConfiguration('dllm', { languageId: 'python' }).update('inline.enabled', undefined, vscode.ConfigurationTarget.Global, true);
    });
    await waitFor('[python] dllm.inline.enabled = false', () => vscode.workspace.getConfiguration('dllm', { languageId: 'python' }).get('inline.enabled') === false);
    assert.equal(vscode.workspace.getConfiguration('dllm').get('inline.enabled'), true, 'other languages keep the global value');

    await openEditor('python', 'def greet(name):\n    return ');
    assert.match((await typeAndSee(api, 'f')) ?? '', /off for language "python" \(\[python\] dllm\.inline\.enabled\)/);
    assert.equal(await vscode.commands.executeCommand<boolean>('dllm.toggleLanguage', 'python'), true);
    await waitFor('[python] dllm.inline.enabled = true', () => vscode.workspace.getConfiguration('dllm', { languageId: 'python' }).get('inline.enabled') === true);
  });
});
