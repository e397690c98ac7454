/**
 * Test runner loaded by VS Code's extension host (`extensionTestsPath`), under both the VS Code
 * server (code-server + Chromium, test/vscode/harness/run-server-tests.ts) and @vscode/test-electron
 * (test/vscode/harness/run-electron-tests.ts). It runs the compiled `*.test.js` files next to it with
 * mocha and, when DLLM_VSCODE_RESULTS names a file, writes a JSON summary there: the server
 * driver has no other way to learn that the run finished and what passed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/** What the driver reads back from DLLM_VSCODE_RESULTS. */
export interface SuiteResults {
  passed: number;
  failed: number;
  pending: number;
  durationMs: number;
  vscodeVersion: string;
  /** Figures the tests reported (helpers.report). */
  notes: string[];
  tests: { title: string; state: 'passed' | 'failed' | 'pending'; durationMs?: number; error?: string }[];
}

export async function run(): Promise<void> {
  // Imported here, not at the top: this file is also type-checked outside VS Code.
  const vscode = await import('vscode');
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: Number(process.env.DLLM_VSCODE_TEST_TIMEOUT ?? 60_000),
    grep: process.env.DLLM_VSCODE_GREP || undefined,
  });
  const dir = __dirname;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort()) {
    mocha.addFile(path.join(dir, file));
  }

  const started = Date.now();
  const results: SuiteResults = {
    passed: 0,
    failed: 0,
    pending: 0,
    durationMs: 0,
    vscodeVersion: vscode.version,
    notes: [],
    tests: [],
  };
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', (test) => {
      results.passed++;
      results.tests.push({ title: test.fullTitle(), state: 'passed', durationMs: test.duration });
    });
    runner.on('fail', (test, err: Error) => {
      results.failed++;
      results.tests.push({ title: test.fullTitle(), state: 'failed', error: err.stack ?? String(err) });
    });
    runner.on('pending', (test) => {
      results.pending++;
      results.tests.push({ title: test.fullTitle(), state: 'pending' });
    });
  });
  results.durationMs = Date.now() - started;
  results.notes = ((globalThis as Record<string, unknown>).dllmSuiteNotes as string[] | undefined) ?? [];

  const out = process.env.DLLM_VSCODE_RESULTS;
  if (out) {
    // Write to a temp name and rename, so the driver never reads half a file.
    fs.writeFileSync(`${out}.tmp`, JSON.stringify(results, null, 2));
    fs.renameSync(`${out}.tmp`, out);
  }
  if (results.failed > 0) throw new Error(`${results.failed} extension-host test(s) failed`);
}
