import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const extensionId = 'dllm-complete.dllm-complete';

describe('activation', () => {
  it('runs inside a real VS Code', () => {
    assert.match(vscode.version, /^\d+\.\d+\.\d+/);
  });

  it('finds the extension and activates it', async () => {
    const ext = vscode.extensions.getExtension(extensionId);
    assert.ok(ext, `${extensionId} is not installed`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });
});
