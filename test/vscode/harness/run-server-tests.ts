/**
 * Runs the extension inside a real VS Code here (VS Code server + headless Chromium):
 *  1. the extension-host mocha suite (test/vscode/suite, bundled into out/ by build-tests.mjs)
 *     against the source folder, as extensionDevelopmentPath;
 *  2. the end-to-end tests (test/vscode/e2e), which type into the workbench as a person would,
 *     against the installed .vsix when one is given.
 * Prints each phase's results and a closing `vscode: N passed, N failed` line; exits non-zero on failure.
 *
 * Usage: tsx test/vscode/harness/run-server-tests.ts [--suite-only | --e2e-only] [--vsix <file>|latest]
 * Env: DLLM_VSCODE_SUITE_TIMEOUT_MS (default 300000), DLLM_VSCODE_GREP (mocha grep, suite).
 * Prerequisites: test/vscode/harness/install-code-server.sh, npm run build, build-tests.mjs.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SuiteResults } from '../suite/index';
import { createWorkspace, extensionPath, openWorkbench, repoRoot, screenshot, sleep, startServer, tail, type Workbench } from './harness';

interface Tally {
  passed: number;
  failed: number;
  pending: number;
}

const suiteRunner = path.join(repoRoot, 'out', 'test', 'vscode', 'suite', 'index.js');

async function runSuite(): Promise<Tally> {
  console.log('\n== extension-host suite (VS Code server + Chromium) ==');
  if (!fs.existsSync(suiteRunner)) throw new Error(`${suiteRunner} missing: run node test/vscode/harness/build-tests.mjs`);
  if (!fs.existsSync(path.join(extensionPath, 'dist', 'extension.js'))) throw new Error('dist/extension.js missing: run npm run build');

  const timeoutMs = Number(process.env.DLLM_VSCODE_SUITE_TIMEOUT_MS ?? 300_000);
  const resultsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-results-')), 'results.json');
  const workspace = createWorkspace();
  const server = await startServer({
    label: 'suite',
    env: {
      DLLM_VSCODE_RESULTS: resultsFile,
      ...(process.env.DLLM_VSCODE_GREP ? { DLLM_VSCODE_GREP: process.env.DLLM_VSCODE_GREP } : {}),
    },
  });
  let workbench: Workbench | undefined;
  try {
    const url = server.url(workspace, [
      ['extensionDevelopmentPath', server.remoteUri(extensionPath)],
      ['extensionTestsPath', server.remoteUri(suiteRunner)],
    ]);
    const started = Date.now();
    workbench = await openWorkbench(url);
    console.log(`  workbench up in ${Date.now() - started} ms (server pid ${server.pid}, port ${server.port})`);

    const results = await waitForResults(resultsFile, timeoutMs);
    if (!results) {
      await screenshot(workbench.page, 'vscode-suite-timeout');
      console.log(`  no results after ${timeoutMs} ms; server log tail:\n${indent(tail(server.logFile, 40))}`);
      return { passed: 0, failed: 1, pending: 0 };
    }
    printSuite(results);
    if (results.failed > 0) {
      await screenshot(workbench.page, 'vscode-suite-failure');
      console.log(`  server log: ${path.relative(repoRoot, server.logFile)}`);
    }
    return { passed: results.passed, failed: results.failed, pending: results.pending };
  } finally {
    await workbench?.close();
    await server.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
    fs.rmSync(path.dirname(resultsFile), { recursive: true, force: true });
  }
}

async function waitForResults(file: string, timeoutMs: number): Promise<SuiteResults | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as SuiteResults;
    await sleep(500);
  }
  return undefined;
}

function printSuite(results: SuiteResults): void {
  console.log(`  VS Code ${results.vscodeVersion}`);
  for (const t of results.tests) {
    const mark = t.state === 'passed' ? '✓' : t.state === 'failed' ? '✗' : '-';
    const ms = t.durationMs !== undefined ? ` (${t.durationMs} ms)` : '';
    console.log(`  ${mark} ${t.title}${ms}`);
    if (t.error) console.log(indent(t.error.split('\n').slice(0, 8).join('\n'), 6));
  }
  for (const note of results.notes ?? []) console.log(`  · ${note}`);
  console.log(`  suite: ${results.passed} passing, ${results.failed} failing, ${results.pending} pending (${results.durationMs} ms)`);
}

/** Runs the end-to-end mocha suite in a child process, echoing it and counting its results. */
async function runE2e(vsix: string | undefined): Promise<Tally> {
  console.log(`\n== end-to-end (${vsix ? `installed ${path.basename(vsix)}` : 'source folder'}) ==`);
  const mochaBin = path.join(repoRoot, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const child = spawn(process.execPath, [mochaBin, '--config', 'test/vscode/e2e/.mocharc.json'], {
    cwd: repoRoot,
    env: { ...process.env, ...(vsix ? { DLLM_E2E_VSIX: vsix } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    process.stdout.write(chunk);
  });
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  const count = (word: string): number => Number(new RegExp(`(\\d+) ${word}`).exec(output)?.[1] ?? 0);
  const tally = { passed: count('passing'), failed: count('failing'), pending: count('pending') };
  // A crash before mocha could report anything still has to fail the run.
  if (code !== 0 && tally.failed === 0) tally.failed = 1;
  return tally;
}

/** The newest package built for this machine's platform: the other targets' would not load here. */
function latestVsix(): string {
  const target = `${process.platform}-${process.arch}`;
  const prefix = `dllm-complete-${target}-`;
  const candidates = fs
    .readdirSync(repoRoot)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.vsix'))
    .map((f) => path.join(repoRoot, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!candidates[0]) {
    throw new Error(`no ${prefix}*.vsix in the repository root: run \`npm run package\` (every target) or \`npm run package -- --target ${target}\` first`);
  }
  return candidates[0];
}

function indent(text: string, n = 4): string {
  return text
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const vsixArg = argv.includes('--vsix') ? argv[argv.indexOf('--vsix') + 1] : undefined;
  const vsix = vsixArg === 'latest' ? latestVsix() : vsixArg ? path.resolve(vsixArg) : undefined;
  const total: Tally = { passed: 0, failed: 0, pending: 0 };
  const add = (t: Tally): void => {
    total.passed += t.passed;
    total.failed += t.failed;
    total.pending += t.pending;
  };

  if (!argv.includes('--e2e-only')) {
    try {
      add(await runSuite());
    } catch (err) {
      console.error(`  suite could not run: ${err instanceof Error ? err.stack : String(err)}`);
      add({ passed: 0, failed: 1, pending: 0 });
    }
  }
  if (!argv.includes('--suite-only')) add(await runE2e(vsix));

  // Prefixed: npm test's own closing line (test/run-all.ts) is the only unprefixed one.
  console.log(`\nvscode: ${total.passed} passed, ${total.failed} failed${total.pending ? `, ${total.pending} pending` : ''}`);
  return total.failed > 0 || total.passed === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
