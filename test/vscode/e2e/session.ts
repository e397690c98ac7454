/**
 * One VS Code (server + Chromium page) for an end-to-end test file, with the extension either
 * installed from a .vsix (DLLM_E2E_VSIX, what users get) or loaded from the source folder.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { waitForExtension } from './workbench';
import {
  createWorkspace,
  extensionPath,
  installVsix,
  openWorkbench,
  repoRoot,
  screenshot,
  startServer,
  type VsCodeServer,
  type Workbench,
} from '../harness/harness';

export interface Session {
  readonly page: Page;
  readonly workspace: string;
  readonly server: VsCodeServer;
  readonly workbench: Workbench;
  /** How the extension got there, for the log. */
  readonly source: string;
  close(): Promise<void>;
}

/** Extensions installed next to dLLM Complete: folder names under test/vscode/e2e/fixtures. */
export interface SessionOptions {
  fixtureExtensions?: string[];
}

/**
 * Packs the fixture extension test/vscode/e2e/fixtures/<name> into a .vsix under `dir`. (The web
 * workbench loads one extension from source at most, so fixtures are installed like users' ones.)
 */
function packFixture(name: string, dir: string): string {
  const vsix = path.join(dir, `${name}.vsix`);
  const vsce = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  const res = spawnSync(process.execPath, [vsce, 'package', '--allow-missing-repository', '--skip-license', '--out', vsix], {
    cwd: path.join(__dirname, 'fixtures', name),
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`packing the fixture ${name} failed:\n${res.stdout}\n${res.stderr}`);
  return vsix;
}

export async function openSession(label: string, options: SessionOptions = {}): Promise<Session> {
  const vsix = process.env.DLLM_E2E_VSIX;
  const workspace = createWorkspace();
  const fixtures = options.fixtureExtensions ?? [];
  let extensionsDir: string | undefined;
  if (vsix || fixtures.length > 0) {
    extensionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-ext-'));
    if (vsix) installVsix(vsix, extensionsDir);
    for (const name of fixtures) installVsix(packFixture(name, extensionsDir), extensionsDir);
  }
  const server = await startServer({ label, extensionsDir });
  const url = vsix
    ? server.url(workspace)
    : server.url(workspace, [['extensionDevelopmentPath', server.remoteUri(extensionPath)]]);
  const workbench = await openWorkbench(url);
  return {
    page: workbench.page,
    workspace,
    server,
    workbench,
    source: vsix ? `installed ${path.basename(vsix)}` : 'source folder',
    async close() {
      await workbench.close();
      await server.stop();
      fs.rmSync(workspace, { recursive: true, force: true });
      if (extensionsDir) fs.rmSync(extensionsDir, { recursive: true, force: true });
    },
  };
}

/** For an afterEach hook: a screenshot named after the failed test, under test-results/. */
export async function screenshotIfFailed(session: Session | undefined, test: Mocha.Test | undefined): Promise<void> {
  if (!session || !test || test.state !== 'failed') return;
  const name = `e2e-failure-${test.fullTitle().replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
  const file = await screenshot(session.page, name);
  if (file) console.log(`      screenshot: ${path.relative(repoRoot, file)}`);
}

/**
 * Mocha hooks for a describe block that works in one workbench: open it and wait for the extension
 * to be active before the tests (the engine itself starts with the first request), a screenshot of every failed test, close it after. Returns the open session.
 */
export function useSession(label: string, options: SessionOptions = {}): () => Session {
  let session: Session | undefined;
  before(async function () {
    session = await openSession(label, options);
    console.log(`      extension from the ${session.source}`);
    await waitForExtension(session.page);
  });
  afterEach(async function () {
    await screenshotIfFailed(session, this.currentTest);
  });
  after(async function () {
    await session?.close();
  });
  return () => {
    if (!session) throw new Error(`the ${label} workbench is not open`);
    return session;
  };
}
