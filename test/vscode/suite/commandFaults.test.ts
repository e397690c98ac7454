/**
 * Command infills under faults, in a real extension host, with a scripted engine client in place
 * of the inference process (what the engine does is not the point here; when things happen is):
 * the document edited while the language server looks for symbols or while the model runs, Cancel
 * pressed while the answer is on its way or while the engine starts, the user switching tabs
 * before the answer lands. In every case the document changes only when the command reports it
 * applied (after Accept), and then exactly where it should.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CancelSignal } from '../../../src/client/types';
import { WaitCancelledError } from '../../../src/supervision/engineHost';
import {
  fillSelection,
  insertDocComment,
  regenerateFunctionBody,
  type CommandOutcome,
  type InfillDeps,
} from '../../../src/extension/infillCommands';
import { closeAllEditors, openDocument, openEditor, sleep, waitFor } from './helpers';
import { acceptWhenProposed, depsAnswering as scripted, testProposals, type Answer } from './scriptedEngine';

const proposals = testProposals('dllm-proposal-faults');
after(() => proposals.dispose());

function depsAnswering(answer: Answer): InfillDeps {
  return scripted(proposals, answer);
}

/** Presses the progress notification's Cancel until the request sees it. */
async function pressCancel(cancel: CancelSignal | undefined): Promise<void> {
  assert.ok(cancel, 'the command passed no cancel signal');
  await waitFor(
    'Cancel to reach the request',
    () => {
      void vscode.commands.executeCommand('notification.acceptPrimaryAction');
      return cancel.isCancellationRequested;
    },
    10_000,
    50,
  );
}

/** Applies a user's edit: `text` inserted at the start of the document. */
async function typeAtTop(document: vscode.TextDocument, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.insert(document.uri, new vscode.Position(0, 0), text);
  assert.ok(await vscode.workspace.applyEdit(edit), 'the test edit was refused');
}

const twoFunctions = ['def a():', '    return 1', '', '', 'def b():', '    return 2', '', '', 'print(a() + b())', ''].join('\n');
const cursorInB = twoFunctions.indexOf('return 2');

/** Symbols for the document as it is when asked: the functions `a` and `b`, after an optional hook. */
function symbolProvider(onLookup: (document: vscode.TextDocument) => Promise<void>): vscode.Disposable {
  return vscode.languages.registerDocumentSymbolProvider('python', {
    async provideDocumentSymbols(document) {
      const lines = document.getText().split(/\r?\n/);
      const symbols = ['a', 'b'].map((name) => {
        const start = lines.findIndex((l) => l.startsWith(`def ${name}():`));
        const range = new vscode.Range(start, 0, start + 1, lines[start + 1]!.length);
        return new vscode.DocumentSymbol(name, '', vscode.SymbolKind.Function, range, new vscode.Range(start, 4, start, 5));
      });
      await onLookup(document);
      return symbols;
    },
  });
}

for (const eol of ['\n', '\r\n']) {
  const label = eol === '\n' ? 'LF' : 'CRLF';
  const source = twoFunctions.replace(/\n/g, eol);

  for (const [name, run] of [
    ['Regenerate Function Body', regenerateFunctionBody],
    ['Insert Doc Comment', insertDocComment],
  ] as const) {
    describe(`${name} (${label} document)`, () => {
      let provider: vscode.Disposable | undefined;
      afterEach(async () => {
        provider?.dispose();
        await closeAllEditors();
      });

      it('changes the function under the cursor and nothing else', async () => {
        provider = symbolProvider(() => Promise.resolve());
        const editor = await openEditor('python', source, cursorInB + (eol === '\r\n' ? 5 : 0));
        const outcome = await acceptWhenProposed(run(depsAnswering(() => Promise.resolve('Returns two.')), editor), editor.document, proposals);
        assert.ok(outcome.applied, `not applied: ${!outcome.applied && outcome.reason}`);
        const lines = editor.document.getText().split(eol);
        assert.deepEqual(lines.slice(0, 5), ['def a():', '    return 1', '', '', 'def b():'], 'a line outside b changed');
        assert.ok(lines.some((l) => l.includes('Returns two.')), editor.document.getText());
        assert.ok(lines.includes('print(a() + b())'));
        if (eol === '\r\n') assert.doesNotMatch(editor.document.getText(), /[^\r]\n/, 'a bare LF in a CRLF document');
      });

      it('refuses when the document is edited while the language server looks for symbols', async () => {
        provider = symbolProvider((document) => typeAtTop(document, `import os${eol}`));
        const editor = await openEditor('python', source, cursorInB + (eol === '\r\n' ? 5 : 0));
        let asked = false;
        const outcome = await run(
          depsAnswering(() => {
            asked = true;
            return Promise.resolve('    return 3');
          }),
          editor,
        );
        assert.equal(outcome.applied, false);
        assert.match(outcome.applied ? '' : outcome.reason, /changed while looking for the function/);
        assert.equal(editor.document.getText(), `import os${eol}${source}`, 'only the user edit may be there');
        assert.equal(asked, false, 'the model ran on stale offsets');
      });
    });
  }
}

describe('a command under faults', () => {
  const placeholder = 'ZZZZ_FILL_ME';
  const text = `def area(w, h):\n    return ${placeholder}\n`;

  async function editorWithHole(): Promise<vscode.TextEditor> {
    const editor = await openEditor('python', text);
    const start = editor.document.positionAt(text.indexOf(placeholder));
    editor.selection = new vscode.Selection(start, start.translate(0, placeholder.length));
    return editor;
  }

  afterEach(closeAllEditors);

  it('Cancel pressed while the answer is on its way: nothing changes', async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    const editor = await editorWithHole();
    const outcome = await fillSelection(
      depsAnswering(async (_params, cancel) => {
        await pressCancel(cancel);
        return 'w * h'; // the answer arrives anyway
      }),
      editor,
    );
    assert.deepEqual(outcome, { command: 'dllm.fillSelection', applied: false, reason: 'cancelled' });
    assert.equal(editor.document.getText(), text);
  });

  it('Cancel while the engine starts ends the wait at once', async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    const editor = await editorWithHole();
    const deps = depsAnswering(() => Promise.resolve('w * h'));
    let waited: CancelSignal | undefined;
    deps.host = {
      readyClient: undefined,
      state: { kind: 'starting', attempt: 1 },
      // An engine that never becomes ready, like a load that hangs.
      ready: (cancel) =>
        new Promise<void>((_resolve, reject) => {
          waited = cancel;
          cancel?.onCancellationRequested(() => reject(new WaitCancelledError()));
        }),
    };
    const running = fillSelection(deps, editor);
    await waitFor('the command to wait for the engine', () => waited);
    await pressCancel(waited);
    const outcome = await Promise.race([running, sleep(5_000).then(() => undefined)]);
    assert.ok(outcome, 'the command kept waiting after Cancel');
    assert.deepEqual(outcome, { command: 'dllm.fillSelection', applied: false, reason: 'cancelled' });
    assert.equal(editor.document.getText(), text);
  });

  it('a tab switch before the answer lands: the edit goes into the original document', async () => {
    const editor = await editorWithHole();
    const original = editor.document;
    const other = await openDocument('python', 'x = 1\n');
    const outcome: CommandOutcome = await acceptWhenProposed(
      fillSelection(
        depsAnswering(async () => {
          await vscode.window.showTextDocument(other, { preview: false });
          await waitFor('the original editor to be hidden', () => !vscode.window.visibleTextEditors.some((e) => e.document === original));
          return 'w * h';
        }),
        editor,
      ),
      original,
      proposals,
    );
    assert.ok(outcome.applied, `not applied: ${!outcome.applied && outcome.reason}`);
    assert.equal(original.getText(), text.replace(placeholder, 'w * h'));
    assert.equal(other.getText(), 'x = 1\n');
    // One undo step, in the original document.
    await vscode.window.showTextDocument(original);
    await vscode.commands.executeCommand('undo');
    assert.equal(original.getText(), text);
  });

  it('the document edited while the model runs: nothing is inserted', async () => {
    const editor = await editorWithHole();
    const outcome = await fillSelection(
      depsAnswering(async () => {
        await typeAtTop(editor.document, '# note\n');
        return 'w * h';
      }),
      editor,
    );
    assert.equal(outcome.applied, false);
    assert.match(outcome.applied ? '' : outcome.reason, /changed while the model ran/);
    assert.equal(editor.document.getText(), `# note\n${text}`);
  });
});
