/**
 * Fault injection over the real stdio transport: the extension's EngineHost supervises real child
 * processes running the real server with a fake engine that crashes, hangs or writes to fd 1 on
 * request (fixtures/faultyServer.ts). Every case ends with the engine usable again or in a clear
 * "gave up" state. Timings are shrunk so each case takes a second or two.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { EngineClientError } from '../../../src/client/errors';
import { EngineHost, WaitCancelledError } from '../../../src/supervision/engineHost';
import type { SupervisionOptions } from '../../../src/supervision/hostOptions';
import type { EngineState } from '../../../src/supervision/engineState';
import type { InfillRequest, LogNotification } from '../../../src/protocol/protocol';
import { isAlive } from '../../support/process';
import { makeModelDir } from '../../unit/protocol/inMemoryChannel';

const serverModule = path.join(__dirname, 'fixtures', 'faultyServer.ts');

const fast: Partial<SupervisionOptions> = {
  healthIntervalMs: 200,
  stuckAfterCancelMs: 400,
  stuckAfterMs: 5_000,
  maxFailedStarts: 3,
  crashPolicy: { maxCrashes: 5, windowMs: 60_000, baseDelayMs: 20, maxDelayMs: 100 },
  deadlines: { initialize: 8_000, inline: 600, command: 3_000, status: 1_000 },
};

interface Supervised {
  host: EngineHost;
  lines: string[];
  failures: string[];
  states: EngineState['kind'][];
}

let modelDir: string;
const running: EngineHost[] = [];

function supervise(env: Record<string, string> = {}, supervision: Partial<SupervisionOptions> = {}): Supervised {
  const lines: string[] = [];
  const failures: string[] = [];
  const states: EngineState['kind'][] = [];
  const record = (level: string) => (message: string) => lines.push(`${level}: ${message}`);
  const host = new EngineHost({
    serverModule,
    clientName: 'supervision test',
    settings: () => ({ modelPath: modelDir, device: 'cpu', threads: 0 }),
    log: { error: record('error'), warn: record('warn'), info: record('info'), debug: record('debug') },
    onEngineLog: (entry: LogNotification.Params) => lines.push(`engine ${entry.level}: ${entry.message}`),
    ui: { warn: () => undefined, failed: (message) => failures.push(message) },
    supervision: { ...fast, ...supervision },
    execArgv: ['--require', require.resolve('tsx/cjs')],
    env,
  });
  host.onDidChangeState((state) => states.push(state.kind));
  running.push(host);
  return { host, lines, failures, states };
}

function params(prefix: string, mode: 'inline' | 'command' = 'command'): InfillRequest.Params {
  return { prefix, suffix: '\n', maxTokens: 8, stepBudget: 5, sampler: { kind: 'saber' }, mode };
}

async function waitFor<T>(what: string, check: () => T | undefined | false, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits for a ready engine and proves it answers. */
async function answers(host: EngineHost): Promise<void> {
  await host.ready();
  const client = host.readyClient;
  assert.ok(client, 'no client although ready');
  const result = await client.infill(params('def f():'));
  assert.equal(result.finishReason, 'stop');
  assert.equal(result.text, 'answer');
}

describe('engine supervision under faults (real child processes)', function () {
  this.timeout(60_000);
  before(() => (modelDir = makeModelDir()));
  afterEach(async () => {
    await Promise.all(running.splice(0).map((host) => host.stop()));
  });
  after(() => fs.rmSync(modelDir, { recursive: true, force: true }));

  it('a crash in the middle of a request fails that request at once, and a new child answers', async () => {
    const { host } = supervise();
    await answers(host);
    const pid = host.pid;
    await assert.rejects(host.readyClient!.infill(params('CRASH')), (e: unknown) => e instanceof EngineClientError && e.kind === 'exited');
    await waitFor('a new child', () => host.state.kind === 'ready' && host.pid !== pid);
    assert.equal(host.restarts, 1);
    await answers(host);
  });

  it('an engine thread that dies takes the process with it, and a new child answers', async () => {
    const { host, lines } = supervise();
    await answers(host);
    const pid = host.pid;
    await assert.rejects(host.readyClient!.infill(params('THREAD')));
    await waitFor('a new child', () => host.state.kind === 'ready' && host.pid !== pid);
    assert.ok(lines.some((l) => /the engine stopped \(the engine thread failed: a stray exception/.test(l)), lines.join('\n'));
    await answers(host);
  });

  it('a pass that never returns is found by the health check; the child is replaced', async () => {
    const { host, lines } = supervise();
    await answers(host);
    const pid = host.pid;
    // The inline deadline passes; the request is cancelled, but the pass never reads the flag.
    await assert.rejects(host.readyClient!.infill(params('HANG', 'inline')), (e: unknown) => e instanceof EngineClientError && e.kind === 'deadline');
    await waitFor('a new child', () => host.state.kind === 'ready' && host.pid !== pid);
    assert.ok(
      lines.some((l) => /not responding: an infill did not stop within \d+ s of being cancelled/.test(l)),
      lines.join('\n'),
    );
    await answers(host);
  });

  it('an unloaded engine ends its process without counting a crash, and the next request loads it again', async () => {
    const { host, failures } = supervise();
    await answers(host);
    const pid = host.pid!;
    await host.unload('idle for a test');
    assert.deepEqual(host.state, { kind: 'stopped', unloaded: 'idle for a test' });
    assert.equal(host.pid, undefined);
    await waitFor('the old process to end', () => !isAlive(pid));
    await answers(host);
    assert.notEqual(host.pid, pid);
    assert.equal(host.restarts, 0, 'a reload is not a restart');
    assert.equal(host.unloads, 1);
    assert.deepEqual(failures, []);
  });

  it('a status check answers while a pass runs (the engine has its own thread)', async () => {
    const { host } = supervise();
    await answers(host);
    const client = host.readyClient!;
    const hanging = client.infill(params('HANG', 'command')).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    const status = await client.status();
    assert.ok(Date.now() - started < 500, 'status waited for the pass');
    assert.equal(status.inFlight, 1);
    assert.ok(status.runningForMs >= 50, JSON.stringify(status));
    await host.restart('test over');
    await hanging;
  });

  it('a main thread that stops answering is killed and restarted', async () => {
    const { host, lines } = supervise({ FAULT_FREEZE_AFTER_MS: '1500' }, { crashPolicy: { maxCrashes: 2, windowMs: 60_000, baseDelayMs: 20, maxDelayMs: 100 } });
    await host.ready();
    await waitFor('the frozen child to be killed', () => lines.some((l) => /not responding: it stopped answering/.test(l)));
    // Every child freezes, so supervision ends in a clear "gave up" state.
    await waitFor('giving up', () => host.state.kind === 'failed');
    assert.match(host.state.kind === 'failed' ? host.state.message : '', /crashed 2 times/);
  });

  it('native writes to fd 1 do not reach the protocol channel; they are logged', async () => {
    const { host, lines } = supervise();
    await answers(host);
    const result = await host.readyClient!.infill(params('FD1'));
    assert.equal(result.text, 'answer');
    await answers(host);
    await waitFor('the native output in the log', () => lines.some((l) => l.includes('native output on fd 1')));
    assert.equal(host.restarts, 0);
  });

  it('a load that never finishes counts as a failed start; three in a row and it gives up, saying so', async () => {
    const { host, failures } = supervise({ FAULT_HANG_LOAD: '1' }, { deadlines: { ...fast.deadlines, initialize: 500 } });
    await assert.rejects(host.ready(), /failed to start 3 times in a row \(last: not responding: it did not finish loading the model in time/);
    assert.equal(host.state.kind, 'failed');
    assert.equal(failures.length, 1, 'the user is told once');
    assert.equal(host.pid, undefined, 'a child is left running');
  });

  it('waiting for the engine honours a cancel', async () => {
    const { host } = supervise({ FAULT_HANG_LOAD: '1' });
    const source = new CancellationTokenSource();
    const waiting = host.ready(source.token);
    setTimeout(() => source.cancel(), 100);
    const started = Date.now();
    await assert.rejects(waiting, WaitCancelledError);
    assert.ok(Date.now() - started < 1000);
  });

  it('five fast crashes after ready: it gives up and says so', async () => {
    const { host, failures } = supervise({ FAULT_EXIT_AFTER_MS: '1200' });
    await host.ready();
    await waitFor('giving up', () => host.state.kind === 'failed', 40_000);
    assert.match(failures[0] ?? '', /crashed 5 times within 1 minutes/);
    assert.equal(host.restarts, 4);
  });

  it('slow crashes while loading, each alone in the crash window, still end in "gave up"', async () => {
    const { host } = supervise({ FAULT_EXIT_AFTER_MS: '300', FAULT_HANG_LOAD: '1' }, { crashPolicy: { maxCrashes: 5, windowMs: 50, baseDelayMs: 20, maxDelayMs: 100 } });
    await assert.rejects(host.ready(), /failed to start 3 times in a row \(last: killed by SIGKILL\)/);
  });

  it('slow crashes after ready are restarted every time: the engine stays usable', async () => {
    const { host, states } = supervise({ FAULT_EXIT_AFTER_MS: '1200' }, { crashPolicy: { maxCrashes: 2, windowMs: 50, baseDelayMs: 20, maxDelayMs: 100 } });
    host.start();
    await waitFor('three restarts', () => host.restarts >= 3, 40_000);
    assert.ok(!states.includes('failed'), states.join(' '));
    await answers(host);
  });

  it('NODE_OPTIONS of the window does not reach the child', async () => {
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `--require ${path.join(modelDir, 'no-such-preload.js')}`;
    try {
      const { host } = supervise();
      await answers(host);
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
  });
});
