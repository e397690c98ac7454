/**
 * Runs the extension-host suite (test/vscode/suite, bundled by build-tests.mjs) in desktop
 * VS Code through @vscode/test-electron, which downloads VS Code first: use it where that
 * download works (a developer machine, CI with internet). Where it does not, the same suite runs
 * under the VS Code server: npm run test:vscode-server.
 *
 * Usage: tsx test/vscode/harness/run-electron-tests.ts   (env VSCODE_TEST_VERSION, default 1.100.3)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { createWorkspace, extensionPath, repoRoot } from './harness';

async function main(): Promise<number> {
  const suiteRunner = path.join(repoRoot, 'out', 'test', 'vscode', 'suite', 'index.js');
  const workspace = createWorkspace();
  try {
    const code = await runTests({
      version: process.env.VSCODE_TEST_VERSION ?? '1.100.3',
      extensionDevelopmentPath: extensionPath,
      extensionTestsPath: suiteRunner,
      // Only the extension under test: a developer's other extensions must not interfere.
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    });
    return code;
  } catch (err) {
    console.error(`VS Code could not be started: ${err instanceof Error ? err.message : String(err)}`);
    console.error('Where VS Code cannot be downloaded, run npm run test:vscode-server instead.');
    return 1;
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

void main().then((code) => process.exit(code));
