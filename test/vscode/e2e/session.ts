/**
 * One VS Code (server + Chromium page) for an end-to-end test file, with the extension either
 * installed from a .vsix (DLLM_E2E_VSIX, what users get) or loaded from the source folder.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { waitForEngineReady } from './workbench';
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

export async function openSession(label: string): Promise<Session> {
  const vsix = process.env.DLLM_E2E_VSIX;
  const workspace = createWorkspace();
  let extensionsDir: string | undefined;
  if (vsix) {
    extensionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-ext-'));
    installVsix(vsix, extensionsDir);
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
 * Mocha hooks for a describe block that works in one workbench: open it and wait for the engine
 * before the tests, a screenshot of every failed test, close it after. Returns the open session.
 */
export function useSession(label: string): () => Session {
  let session: Session | undefined;
  before(async function () {
    session = await openSession(label);
    console.log(`      extension from the ${session.source}`);
    await waitForEngineReady(session.page);
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
