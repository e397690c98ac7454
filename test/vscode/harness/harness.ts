/**
 * Runs a real VS Code here: the VS Code server from the `code-server` npm package (installed by
 * test/vscode/harness/install-code-server.sh into .cache/code-server) and its web workbench in
 * Debian's headless Chromium, driven by playwright-core. See the testing note for why:
 * @vscode/test-electron cannot download VS Code on machines that only reach the npm registry.
 *
 * Shared by the extension-host suite driver (run-server-tests.ts) and the end-to-end tests
 * (test/vscode/e2e), which open the same workbench and type into it as a person would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
/** The extension folder under test: the repository, or another unpacked build
 *  (DLLM_VSCODE_EXTENSION_PATH). */
export const extensionPath = process.env.DLLM_VSCODE_EXTENSION_PATH ?? repoRoot;
export const resultsDir = path.join(repoRoot, 'test-results');
export const codeServerPrefix = process.env.CODE_SERVER_PREFIX ?? path.join(repoRoot, '.cache', 'code-server');
export const serverMain = path.join(codeServerPrefix, 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'server-main.js');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/** Messages the workbench and the server print while failing to reach the marketplace,
 *  telemetry and other online services: expected here, never a test failure. */
const harmlessNoise = [
  /404/,
  /Failed to load resource/i,
  /ERR_NAME_NOT_RESOLVED|ENOTFOUND|EAI_AGAIN|getaddrinfo/i,
  /ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED|ERR_TUNNEL|ECONNREFUSED|ETIMEDOUT/i,
  /marketplace|gallery|open-vsx|vscode-unpkg|update\.code|telemetry/i,
  /Content Security Policy|Permissions-Policy|webPackagePaths|service worker|ServiceWorker/i,
];

export function isHarmlessNoise(line: string): boolean {
  return harmlessNoise.some((re) => re.test(line));
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

// Keep the workbench quiet and deterministic: no welcome page, no other completions, no
// auto-closing pairs that would interleave with what the tests type.
const quietSettings = {
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.suggestOnTriggerCharacters': false,
  'editor.wordBasedSuggestions': 'off',
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  'editor.autoIndent': 'none',
  'editor.minimap.enabled': false,
  // Both ask the document symbol providers on their own, which races the tests' symbol hooks.
  'editor.stickyScroll.enabled': false,
  'breadcrumbs.enabled': false,
  'editor.inlineSuggest.enabled': true,
  'files.autoSave': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  // The bundled model is a small CPU-trained one (models/dllm-code-tiny/MODEL_CARD.md): at
  // temperature 0 it is never sure enough of a real token to put one before <pad>, so it answers
  // empty middles. Sampling (seeded, so still reproducible) makes it answer text, which is what
  // the tests need to drive ghost text, Tab and the commands through the real model.
  'dllm.sampler.temperature': 1,
};

/**
 * The quiet editor settings without the extension's own (`dllm.*`) overrides: what a run at the
 * extension's default settings starts from (npm run bench:holes).
 */
export function quietEditorSettings(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(quietSettings).filter(([key]) => !key.startsWith('dllm.')));
}

/** A temporary workspace folder with small sample files in the languages the tests type in. */
export function createWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-ws-'));
  fs.mkdirSync(path.join(dir, '.vscode'));
  fs.writeFileSync(path.join(dir, '.vscode', 'settings.json'), JSON.stringify(quietSettings, null, 2));
  fs.writeFileSync(
    path.join(dir, 'sample.py'),
    [
      'def add(a, b):',
      '    """Return the sum of a and b."""',
      '    return a + b',
      '',
      '',
      'def fibonacci(n):',
      '    if n < 2:',
      '        return n',
      '    return fibonacci(n - 1) + fibonacci(n - 2)',
      '',
      '',
      'def is_even(n):',
      '    return n % 2 == 0',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(dir, 'sample.ts'),
    [
      'export function add(a: number, b: number): number {',
      '  return a + b;',
      '}',
      '',
      'export function max(values: number[]): number {',
      '  let best = values[0];',
      '  for (const v of values) {',
      '    if (v > best) best = v;',
      '  }',
      '  return best;',
      '}',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(dir, 'scratch.py'), '');
  fs.writeFileSync(path.join(dir, 'scratch.ts'), '');
  return dir;
}

export interface ServerOptions {
  /** Extra environment for the server process (and so for its extension host). */
  env?: Record<string, string>;
  /** Extensions folder; a fresh temporary one when absent. */
  extensionsDir?: string;
  /** Where to write the server's log; default test-results/<label>-server.log. */
  label?: string;
  /** The user settings; default the quiet settings the tests use. */
  userSettings?: Record<string, unknown>;
}

export interface VsCodeServer {
  readonly port: number;
  readonly pid: number;
  readonly origin: string;
  readonly logFile: string;
  readonly dataDir: string;
  /** The workbench URL opening `folder`, with an optional payload (extension development / tests). */
  url(folder: string, payload?: [string, string][]): string;
  /** `vscode-remote://` URI of a path on this (the server's) machine, for the payload. */
  remoteUri(absPath: string): string;
  /** Stops the server by its process id (and its extension host, which is in its group). */
  stop(): Promise<void>;
}

/** Installs a .vsix into an extensions folder with the server's own CLI (what a user gets). */
export function installVsix(vsix: string, extensionsDir: string): void {
  fs.mkdirSync(extensionsDir, { recursive: true });
  const res = spawnSync(
    process.execPath,
    [serverMain, '--accept-server-license-terms', '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (res.status !== 0) {
    throw new Error(`installing ${vsix} failed (exit ${res.status}):\n${res.stdout}\n${res.stderr}`);
  }
}

/** Starts server-main.js on a free port and resolves once it listens. */
export async function startServer(options: ServerOptions = {}): Promise<VsCodeServer> {
  if (!fs.existsSync(serverMain)) {
    throw new Error(`${serverMain} is missing: run test/vscode/harness/install-code-server.sh first`);
  }
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-vscode-'));
  const extensionsDir = options.extensionsDir ?? path.join(dataDir, 'extensions');
  fs.mkdirSync(resultsDir, { recursive: true });
  const logFile = path.join(resultsDir, `${options.label ?? 'vscode'}-server.log`);
  const log = fs.openSync(logFile, 'w');
  // User settings too: some (the welcome walkthrough) are not read from the workspace.
  fs.mkdirSync(path.join(dataDir, 'user', 'User'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'user', 'User', 'settings.json'), JSON.stringify(options.userSettings ?? quietSettings, null, 2));

  const args = [
    serverMain,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--disable-workspace-trust',
    '--telemetry-level', 'off',
    '--server-data-dir', path.join(dataDir, 'server'),
    '--user-data-dir', path.join(dataDir, 'user'),
    '--extensions-dir', extensionsDir,
  ];
  // detached: its own process group, so stop() ends the extension host and the inference
  // child with it instead of leaving them to this process.
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', log, log],
    detached: true,
  });
  fs.closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the VS Code server');

  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(origin, child, 60_000, logFile);

  let stopped = false;
  const server: VsCodeServer = {
    port,
    pid,
    origin,
    logFile,
    dataDir,
    remoteUri: (absPath) => `vscode-remote://127.0.0.1:${port}${absPath}`,
    url(folder, payload) {
      const query = new URLSearchParams({ folder });
      if (payload) query.set('payload', JSON.stringify(payload));
      return `${origin}/?${query.toString()}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      // Whatever else is left in the group (the extension host, the engine child).
      killGroup(pid, 'SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we want.
  }
}

async function waitForHttp(origin: string, child: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`VS Code server exited with ${child.exitCode}; log:\n${tail(logFile, 40)}`);
    }
    try {
      const res = await fetch(`${origin}/version`);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`VS Code server did not listen within ${timeoutMs} ms; log:\n${tail(logFile, 40)}`);
}

export interface Workbench {
  readonly browser: Browser;
  readonly page: Page;
  /** Console errors from the page that are not known noise. */
  readonly consoleErrors: string[];
  close(): Promise<void>;
}

/** Opens `url` in headless Chromium and waits for the workbench to be on screen. */
export async function openWorkbench(url: string, options: { echoConsole?: boolean } = {}): Promise<Workbench> {
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() !== 'error' || isHarmlessNoise(text)) return;
    consoleErrors.push(text);
    if (options.echoConsole) console.log(`  [workbench] ${text.split('\n')[0]}`);
  });
  page.on('pageerror', (err) => {
    if (!isHarmlessNoise(err.message)) consoleErrors.push(err.message);
  });
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  return {
    browser,
    page,
    consoleErrors,
    async close() {
      await browser.close();
    },
  };
}

/** Saves a screenshot of a page or one element (a Playwright Page or Locator) under
 *  test-results/ and returns its path (never throws: it is a diagnostic). */
export async function screenshot(target: { screenshot(options: { path: string }): Promise<unknown> }, name: string): Promise<string | undefined> {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}.png`);
  try {
    await target.screenshot({ path: file });
    return file;
  } catch (err) {
    console.error(`  screenshot ${name} failed: ${String(err)}`);
    return undefined;
  }
}

/** The last `lines` lines of a log file, without the known noise. */
export function tail(file: string, lines: number): string {
  try {
    const all = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() && !isHarmlessNoise(l));
    return all.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
