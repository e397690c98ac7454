import { strict as assert } from 'node:assert';
import { isCompletionScheme } from '../../../src/editor/documentFilter';

describe('isCompletionScheme', () => {
  it('accepts editors and refuses panels and inputs', () => {
    for (const s of ['file', 'untitled', 'vscode-notebook-cell', 'vscode-remote', 'vscode-vfs']) assert.ok(isCompletionScheme(s), s);
    for (const s of ['output', 'vscode-scm', 'comment', 'vscode-chat-code-block', 'debug', 'git']) assert.ok(!isCompletionScheme(s), s);
  });
});
