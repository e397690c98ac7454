/**
 * A command's result is a proposal: shown as a diff, the document unchanged until Accept, changed
 * as one undo step after it; Discard, closing the diff or a newer proposal leave it as it was, and
 * Accept refuses a proposal whose text was edited meanwhile. A scripted engine answers; the
 * proposals wait in a controller of this file's own.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { fillSelection, type CommandOutcome } from '../../../src/extension/infillCommands';
import { closeAllEditors, openEditor, waitFor } from './helpers';
import { depsAnswering, testProposals } from './scriptedEngine';

const scheme = 'dllm-proposal-suite';
const proposals = testProposals(scheme);
after(() => proposals.dispose());

const placeholder = 'ZZZZ_FILL_ME';
const text = `def total(values):\n    total = 0\n    for v in values:\n        ${placeholder}\n    return total\n`;

/** Fill Selection on the placeholder, answered with `answer`; resolves once the proposal shows. */
async function proposeFill(answer: string): Promise<{ editor: vscode.TextEditor; running: Promise<CommandOutcome> }> {
  const editor = await openEditor('python', text);
  const start = editor.document.positionAt(text.indexOf(placeholder));
  editor.selection = new vscode.Selection(start, start.translate(0, placeholder.length));
  const running = fillSelection(depsAnswering(proposals, () => Promise.resolve(answer)), editor);
  await waitFor('the proposal', () => proposals.current);
  return { editor, running };
}

function diffTab(): vscode.Tab | undefined {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .find((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === scheme);
}

async function edit(document: vscode.TextDocument, offset: number, insert: string): Promise<void> {
  const e = new vscode.WorkspaceEdit();
  e.insert(document.uri, document.positionAt(offset), insert);
  assert.ok(await vscode.workspace.applyEdit(e));
}

describe('proposals', () => {
  afterEach(async () => {
    proposals.discard();
    await closeAllEditors();
  });

  it('shows the result as a diff and changes the document only on Accept, as one undo step', async () => {
    const { editor, running } = await proposeFill('total += v');
    const document = editor.document;
    const proposed = text.replace(placeholder, 'total += v');
    assert.equal(document.getText(), text, 'the document changed before Accept');
    const tab = await waitFor('the diff to open', diffTab);
    const input = tab.input as vscode.TabInputTextDiff;
    assert.equal(input.original.toString(), document.uri.toString());
    assert.equal((await vscode.workspace.openTextDocument(input.modified)).getText(), proposed);

    assert.equal(await proposals.accept(), true);
    const outcome = await running;
    assert.deepEqual(outcome, { command: 'dllm.fillSelection', applied: true, text: 'total += v', forwardPasses: 3 });
    assert.equal(document.getText(), proposed);
    await waitFor('the diff to close', () => !diffTab());
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), text, 'one undo brings the original back');
  });

  it('Discard leaves the document as it was', async () => {
    const { editor, running } = await proposeFill('ms";');
    proposals.discard();
    const outcome = await running;
    assert.equal(outcome.applied, false);
    assert.match(outcome.applied ? '' : outcome.reason, /discarded/);
    assert.equal(editor.document.getText(), text);
    await waitFor('the diff to close', () => !diffTab());
  });

  it('closing the diff discards the proposal', async () => {
    const { editor, running } = await proposeFill('total += v');
    const tab = await waitFor('the diff to open', diffTab);
    await vscode.window.tabGroups.close(tab);
    const outcome = await running;
    assert.equal(outcome.applied, false);
    assert.match(outcome.applied ? '' : outcome.reason, /diff was closed/);
    assert.equal(editor.document.getText(), text);
    assert.equal(proposals.current, undefined);
  });

  it('a newer proposal discards the one waiting', async () => {
    const first = await proposeFill('first');
    const second = await proposeFill('second');
    const outcome = await first.running;
    assert.match(outcome.applied ? '' : outcome.reason, /newer proposal/);
    assert.equal(first.editor.document.getText(), text);
    await proposals.accept();
    assert.equal((await second.running).applied, true);
    assert.equal(second.editor.document.getText(), text.replace(placeholder, 'second'));
  });

  it('an edit elsewhere moves the proposal along; Accept lands it in the right place', async () => {
    const { editor, running } = await proposeFill('total += v');
    await edit(editor.document, 0, '# sum them\n');
    await edit(editor.document, editor.document.getText().length, 'print(total([1]))\n');
    assert.equal(await proposals.accept(), true);
    assert.equal((await running).applied, true);
    assert.equal(editor.document.getText(), `# sum them\n${text.replace(placeholder, 'total += v')}print(total([1]))\n`);
  });

  it('Accept refuses, and changes nothing, when the text it replaces was edited meanwhile', async () => {
    const { editor, running } = await proposeFill('ms";');
    const inside = editor.document.getText().indexOf(placeholder) + 4;
    await edit(editor.document, inside, 'x');
    const edited = editor.document.getText();
    assert.equal(await proposals.accept(), false);
    const outcome = await running;
    assert.equal(outcome.applied, false);
    assert.match(outcome.applied ? '' : outcome.reason, /not applied: the text it replaces was edited/);
    assert.equal(editor.document.getText(), edited, 'only the user\'s edit is there');
  });
});
