import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CommandOutcome } from '../../../src/extension/api';
import { closeAllEditors, openEditor, readyApi, sleep, report, waitFor } from './helpers';
import { acceptWhenProposed } from './scriptedEngine';

const placeholder = 'ZZZZ_FILL_ME';
const source = `def area(width, height):\n    return ${placeholder}\n\n\nprint(area(2, 3))\n`;

/** An editor on `text` with its placeholder selected. */
async function editorWithHole(text = source): Promise<vscode.TextEditor> {
  const editor = await openEditor('python', text);
  const start = editor.document.positionAt(text.indexOf(placeholder));
  const end = editor.document.positionAt(text.indexOf(placeholder) + placeholder.length);
  editor.selection = new vscode.Selection(start, end);
  return editor;
}

describe('commands', () => {
  afterEach(closeAllEditors);

  it('Fill Selection proposes a change and replaces the selection on Accept, as one undoable edit', async () => {
    const api = await readyApi();
    const accept = { get current() { return api.proposal; }, accept: async () => vscode.commands.executeCommand<boolean>('dllm.acceptProposal') };
    // A small model may leave one hole empty (the command then changes nothing and says so);
    // it must fill one of these.
    const holes = [
      source,
      `def fibonacci(n):\n    if n < 2:\n        return n\n    return ${placeholder}\n`,
      `import os\n\n\ndef read_text(path):\n    with open(path) as f:\n        ${placeholder}\n`,
    ];
    const misses: string[] = [];
    for (const text of holes) {
      const editor = await editorWithHole(text);
      const running = Promise.resolve(vscode.commands.executeCommand<CommandOutcome>('dllm.fillSelection'));
      const outcome = await acceptWhenProposed(running, editor.document, accept);
      assert.ok(outcome, 'the command returned nothing');
      if (!outcome.applied) {
        assert.equal(editor.document.getText(), text, 'a command that did not apply changed the document');
        misses.push(outcome.reason);
        continue;
      }
      const filled = editor.document.getText();
      assert.equal(filled, text.replace(placeholder, outcome.text), 'only the selection may change');
      assert.ok(!filled.includes(placeholder));
      report(`filled ${JSON.stringify(outcome.text)} in ${outcome.forwardPasses} passes`);

      // One undo brings the whole original back: the infill was a single edit.
      await vscode.window.showTextDocument(editor.document);
      await vscode.commands.executeCommand('undo');
      assert.equal(editor.document.getText(), text);
      return;
    }
    assert.fail(`no hole filled in ${holes.length} tries: ${misses.join(' | ')}`);
  });

  it('a cancelled Fill Selection changes nothing', async () => {
    const api = await readyApi();
    await vscode.commands.executeCommand('notifications.clearAll');
    // Race the cancel against the command a few times: it must win at least once, and
    // whenever it wins the document must be untouched.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const editor = await editorWithHole();
      const version = editor.document.version;
      // A restart makes the command wait for the engine, which leaves time to cancel it.
      await vscode.commands.executeCommand('dllm.restartEngine');
      let settled = false;
      const running = Promise.resolve(vscode.commands.executeCommand<CommandOutcome>('dllm.fillSelection')).finally(() => {
        settled = true;
      });
      // Press the notification's Cancel button (its primary action) as soon as it shows; a
      // proposal means the command finished first.
      while (!settled) {
        if (api.proposal) await vscode.commands.executeCommand('dllm.discardProposal');
        await vscode.commands.executeCommand('notification.acceptPrimaryAction');
        await sleep(20);
      }
      const outcome = await running;
      assert.ok(outcome, 'the command returned nothing');
      if (!outcome.applied && outcome.reason !== 'discarded') {
        assert.equal(outcome.reason, 'cancelled');
        assert.equal(editor.document.getText(), source, 'a cancelled command changed the document');
        assert.equal(editor.document.version, version, 'the document was edited');
        await api.ready();
        return;
      }
      await closeAllEditors();
    }
    assert.fail('the command finished before it could be cancelled, three times');
  });

  it('starting another command discards the proposal waiting, leaving the document untouched', async () => {
    const api = await readyApi();
    const holes = [source, `def fibonacci(n):\n    if n < 2:\n        return n\n    return ${placeholder}\n`];
    for (const text of holes) {
      const editor = await editorWithHole(text);
      const running = Promise.resolve(vscode.commands.executeCommand<CommandOutcome>('dllm.fillSelection'));
      let settled = false;
      void running.finally(() => (settled = true));
      await waitFor('a proposal, or the command to end', () => api.proposal !== undefined || settled);
      if (!api.proposal) continue; // the model left this hole empty
      // Regenerate Function Body where there is no function ends at once.
      await openEditor('python', 'x = 1\n', 0);
      await vscode.commands.executeCommand('dllm.regenerateFunctionBody');
      const outcome = await running;
      assert.equal(outcome?.applied, false);
      assert.match(outcome && !outcome.applied ? outcome.reason : '', /another command started/);
      assert.equal(editor.document.getText(), text);
      assert.equal(api.proposal, undefined);
      return;
    }
    assert.fail('the model proposed nothing for any hole');
  });
});
