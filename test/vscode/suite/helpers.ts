/**
 * Shared steps of the extension-host tests: reach the extension's test API, open documents,
 * change settings for a test and put them back, ask for an inline completion the way the
 * editor does, and wait for a condition.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { DllmApi, InlineOutcome } from '../../../src/extension/api';

export const extensionId = 'dllm-complete.dllm-complete';

/** Where figures reported by the tests collect (globalThis: each test file is its own bundle). */
const notesKey = 'dllmSuiteNotes';

/** Prints a figure (a timing, a count) and hands it to the runner for the driver to print. */
export function report(line: string): void {
  console.log(`    ${line}`);
  const holder = globalThis as Record<string, unknown>;
  const notes = (holder[notesKey] ??= []) as string[];
  notes.push(line);
}

/** Activates the extension and returns its test API. */
export async function dllmApi(): Promise<DllmApi> {
  const ext = vscode.extensions.getExtension<DllmApi>(extensionId);
  if (!ext) throw new Error(`${extensionId} is not installed`);
  return ext.activate();
}

/** The API once its engine has loaded the model. */
export async function readyApi(): Promise<DllmApi> {
  const api = await dllmApi();
  await api.ready();
  return api;
}

/** Polls `check` until it returns something truthy; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Opens an untitled document of `language` holding `content`, under a name never used before. */
export async function openDocument(language: string, content: string): Promise<vscode.TextDocument> {
  // Left to itself VS Code names a new untitled document after the lowest free "Untitled-N", and
  // one opened just after the last of that name was closed can come back holding the closed
  // document's text instead of `content`. (Each test file is its own bundle, so a module-level
  // counter would repeat names across files.)
  const uri = vscode.Uri.from({ scheme: 'untitled', path: `/dllm-suite-${randomUUID()}` });
  const document = await vscode.languages.setTextDocumentLanguage(await vscode.workspace.openTextDocument(uri), language);
  const fill = new vscode.WorkspaceEdit();
  const eol = content.includes('\r\n') ? vscode.EndOfLine.CRLF : vscode.EndOfLine.LF;
  fill.set(uri, [vscode.TextEdit.setEndOfLine(eol), vscode.TextEdit.insert(new vscode.Position(0, 0), content)]);
  if (!(await vscode.workspace.applyEdit(fill)) || document.getText() !== content) {
    throw new Error(`${uri.toString()} did not open with the text asked for: ${JSON.stringify(document.getText())}`);
  }
  return document;
}

/** Opens an untitled document in an editor, with the cursor at `cursor` (default: the end). */
export async function openEditor(language: string, content: string, cursor?: number): Promise<vscode.TextEditor> {
  const document = await openDocument(language, content);
  const editor = await vscode.window.showTextDocument(document, { preview: false });
  const at = document.positionAt(cursor ?? content.length);
  editor.selection = new vscode.Selection(at, at);
  return editor;
}

/** Closes every editor without saving (untitled documents are reverted first). */
export async function closeAllEditors(): Promise<void> {
  for (const editor of vscode.window.visibleTextEditors) {
    if (editor.document.isUntitled && editor.document.isDirty) {
      await vscode.window.showTextDocument(editor.document);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** Sets `dllm.<key>` in the user settings, as a person would, for one test; returns a function
 *  that puts the previous value back. */
export async function withSetting(key: string, value: unknown): Promise<() => Promise<void>> {
  const config = vscode.workspace.getConfiguration('dllm');
  const previous = config.inspect(key)?.globalValue;
  await config.update(key, value, vscode.ConfigurationTarget.Global);
  await waitFor(`dllm.${key} = ${JSON.stringify(value)}`, () => sameValue(vscode.workspace.getConfiguration('dllm').get(key), value));
  return async () => {
    await vscode.workspace.getConfiguration('dllm').update(key, previous, vscode.ConfigurationTarget.Global);
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Asks for an inline completion at the cursor of the active editor the way a person does with
 * the trigger key (dllm.triggerInline) and returns how the extension's provider call ended.
 */
export async function triggerInline(api: DllmApi): Promise<InlineOutcome> {
  const before = api.activity.lastInline?.id ?? 0;
  // Hide whatever is showing so the trigger asks the provider again.
  await vscode.commands.executeCommand('editor.action.inlineSuggest.hide');
  await vscode.commands.executeCommand('dllm.triggerInline');
  // Calls the editor itself superseded (a newer trigger came) do not count.
  return waitFor('an inline provider call to end', () => {
    const last = api.activity.lastInline;
    return last && last.id > before && !/superseded|cancelled/.test(last.reason ?? '') ? last : undefined;
  });
}
