import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { EngineClientError, startEngineClient } from '../../../src/client/engineClient';
import type { EngineClient, EngineClientOptions } from '../../../src/client/types';
import { ErrorCodes, type InfillRequest, type LogNotification } from '../../../src/protocol/protocol';
import { makeModelDir } from '../protocol/inMemoryChannel';

const fixture = path.join(__dirname, 'fixtures', 'fakeServer.ts');
const dyingFixture = path.join(__dirname, 'fixtures', 'dyingServer.ts');

interface Started {
  client: EngineClient;
  logs: LogNotification.Params[];
  exits: { code: number | null; signal: NodeJS.Signals | null; expected: boolean }[];
}

async function start(env: Record<string, string> = {}, extra: Partial<EngineClientOptions> = {}): Promise<Started> {
  const logs: LogNotification.Params[] = [];
  const exits: Started['exits'] = [];
  const client = await startEngineClient({
    serverModule: fixture,
    execArgv: ['--require', require.resolve('tsx/cjs')],
    env,
    onLog: (entry) => logs.push(entry),
    onExit: (info) => exits.push(info),
    ...extra,
  });
  return { client, logs, exits };
}

function params(overrides: Partial<InfillRequest.Params> = {}): InfillRequest.Params {
  return { prefix: 'x = ', suffix: '\n', maxTokens: 8, stepBudget: 4, sampler: { kind: 'saber' }, mode: 'inline', ...overrides };
}

async function waitFor(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('engine client (real child process, fake engine)', function () {
  // Starting a child through tsx takes a moment on a busy machine.
  this.timeout(30_000);
  let modelDir: string;
  before(() => (modelDir = makeModelDir()));
  after(() => fs.rmSync(modelDir, { recursive: true, force: true }));

  describe('a healthy server', () => {
    let s: Started;
    before(async () => {
      s = await start({ FAKE_PASSES: '6', FAKE_PASS_MS: '20', FAKE_NOISE: '1' });
      await s.client.initialize({ device: 'cpu', modelDir });
    });
    after(() => s.client.stop());

    it('survives stray stdout writes in the child and turns stderr lines into log entries', async () => {
      await waitFor(() => s.logs.some((l) => l.message === 'a stray console.error'), 'the console.error line');
      assert.ok(s.logs.some((l) => l.level === 'info' && l.message === 'a stray console.log'), JSON.stringify(s.logs));
      assert.ok(s.logs.some((l) => l.message === 'a stray stdout write'));
      assert.ok(s.logs.some((l) => l.level === 'error' && l.message === 'a stray console.error'));
      assert.ok(s.logs.some((l) => l.level === 'info' && l.message.includes('ready on cpu')), 'LogNotification arrives too');
    });

    it('completes, reporting progress through the callback', async () => {
      const progress: number[] = [];
      const result = await s.client.infill(params({ mode: 'command' }), undefined, (p) => progress.push(p.forwardPasses));
      assert.strictEqual(result.finishReason, 'stop');
      assert.strictEqual(result.text, '<middle of 4|1>');
      assert.deepStrictEqual(progress, [1, 2, 3, 4, 5, 6]);
    });

    it('forwards a cancel signal to the server, which stops between passes', async () => {
      const source = new CancellationTokenSource();
      const result = await s.client.infill(params(), source.token, (p) => {
        if (p.forwardPasses === 2) source.cancel();
      });
      assert.strictEqual(result.finishReason, 'cancelled');
      assert.ok(result.stats.forwardPasses < 6);
    });

    it('answers an already cancelled request without a round trip', async () => {
      const before = (await s.client.status()).received;
      const source = new CancellationTokenSource();
      source.cancel();
      assert.strictEqual((await s.client.infill(params(), source.token)).finishReason, 'cancelled');
      assert.strictEqual((await s.client.status()).received, before);
    });

    it('rejects server errors as EngineClientError with the JSON-RPC code', async () => {
      const error = await s.client.infill(params({ maxTokens: -3 })).then(
        () => assert.fail('should fail'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof EngineClientError);
      assert.strictEqual(error.kind, 'server');
      assert.strictEqual(error.code, ErrorCodes.InvalidParams);
      assert.match(error.message, /maxTokens/);
    });
  });

  it('a request past its deadline rejects and is cancelled on the server', async () => {
    const s = await start({ FAKE_PASSES: '100', FAKE_PASS_MS: '20' }, { deadlines: { command: 150 } });
    try {
      await s.client.initialize({ device: 'cpu', modelDir });
      await assert.rejects(s.client.infill(params({ mode: 'command' })), (e: unknown) => e instanceof EngineClientError && e.kind === 'deadline');
      let status = await s.client.status();
      const until = Date.now() + 5000;
      while (status.inFlight > 0 && Date.now() < until) status = await s.client.status();
      assert.strictEqual(status.inFlight, 0, 'the server dropped the work');
      assert.strictEqual(status.cancelled, 1);
    } finally {
      await s.client.stop();
    }
  });

  it('a child killed mid-request rejects the pending request at once and reports an unexpected exit', async () => {
    const s = await start({ FAKE_PASSES: '1000', FAKE_PASS_MS: '20' });
    await s.client.initialize({ device: 'cpu', modelDir });
    const pending = s.client.infill(params({ mode: 'command' }));
    await s.client.status(); // answered after the infill arrived: it is running now
    s.client.kill('SIGKILL');
    const error = await pending.then(
      () => assert.fail('should reject'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof EngineClientError);
    assert.strictEqual(error.kind, 'exited');
    assert.match(error.message, /dllm\/infill failed: the inference process was killed by SIGKILL/);
    assert.deepStrictEqual(s.exits, [{ code: null, signal: 'SIGKILL', expected: false }]);
    assert.strictEqual(s.client.running, false);
    await assert.rejects(s.client.status(), (e: unknown) => e instanceof EngineClientError && e.kind === 'notRunning');
  });

  it('a child that dies while a request is being written rejects it with a clear error and leaks no rejection', async () => {
    const leaked: unknown[] = [];
    const onLeak = (reason: unknown): void => void leaked.push(reason);
    process.on('unhandledRejection', onLeak);
    process.on('uncaughtException', onLeak);
    try {
      const logs: LogNotification.Params[] = [];
      const client = await startEngineClient({ serverModule: dyingFixture, execArgv: ['--require', require.resolve('tsx/cjs')], onLog: (entry) => logs.push(entry) });
      // Far more than a pipe holds: the write is still going when the child exits.
      const error = await client.infill(params({ prefix: 'x'.repeat(400_000) })).then(
        () => assert.fail('should reject'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof EngineClientError, String(error));
      assert.strictEqual(error.kind, 'exited');
      // Stopping a client whose channel broke says nothing more: the failed request said it all.
      await client.stop();
      assert.deepStrictEqual(logs.filter((l) => l.level === 'warn'), []);
      // Give a leaked rejection the turns it needs to surface.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepStrictEqual(leaked.map(String), []);
      // Whichever comes first, the failed write or the exit, the message says what happened.
      assert.match(error.message, /^dllm\/infill failed: the inference process (exited while a request was being sent \(write EPIPE\)|exited with code 7 before answering)/);
      await assert.rejects(client.status(), (e: unknown) => e instanceof EngineClientError && e.kind === 'notRunning' && /^Cannot send dllm\/status: the inference process/.test(e.message));
    } finally {
      process.off('unhandledRejection', onLeak);
      process.off('uncaughtException', onLeak);
    }
  });

  it('stop() ends the child cleanly and reports an expected exit', async () => {
    const s = await start();
    await s.client.initialize({ device: 'cpu', modelDir });
    await s.client.stop();
    assert.strictEqual(s.client.running, false);
    assert.deepStrictEqual(s.exits, [{ code: 0, signal: null, expected: true }]);
  });

  it('stop() kills a child that does not answer shutdown', async () => {
    const s = await start({ FAKE_HANG_SHUTDOWN: '1' }, { deadlines: { shutdown: 200 }, stopGraceMs: 200 });
    await s.client.initialize({ device: 'cpu', modelDir });
    await s.client.stop();
    assert.strictEqual(s.exits.length, 1);
    assert.strictEqual(s.exits[0]?.expected, true);
    assert.strictEqual(s.exits[0]?.signal, 'SIGKILL');
    assert.ok(s.logs.some((l) => l.level === 'warn' && /did not shut down cleanly/.test(l.message)));
  });

  it('the server reports an uncaught exception and a stray rejection, and keeps serving', async () => {
    const s = await start({ FAKE_THROW: '1' });
    try {
      await s.client.initialize({ device: 'cpu', modelDir });
      await waitFor(() => s.logs.some((l) => /Uncaught exception in the inference server: Error: a stray exception/.test(l.message)), 'the exception report');
      await waitFor(() => s.logs.some((l) => /Unhandled promise rejection in the inference server: Error: a stray rejection/.test(l.message)), 'the rejection report');
      assert.ok(s.logs.filter((l) => /stray exception/.test(l.message)).every((l) => l.level === 'error'));
      assert.strictEqual((await s.client.infill(params())).finishReason, 'stop');
      assert.strictEqual(s.client.running, true);
    } finally {
      await s.client.stop();
    }
  });

  it('a library calling process.exit is reported with its stack, and the exit is unexpected', async () => {
    const s = await start({ FAKE_LIBRARY_EXIT: '1' });
    await waitFor(() => s.exits.length === 1, 'the exit');
    assert.deepStrictEqual(s.exits, [{ code: 3, signal: null, expected: false }]);
    await waitFor(() => s.logs.some((l) => /process\.exit\(3\) was called outside the server's control/.test(l.message)), 'the report');
  });

  it('a missing server script fails to start with a clear error', async () => {
    await assert.rejects(
      startEngineClient({ serverModule: path.join(modelDir, 'no-server.js') }),
      (e: unknown) => e instanceof EngineClientError && e.kind === 'notRunning' && /no-server\.js" does not exist/.test(e.message),
    );
  });

  it('an execPath that cannot run fails to start with a clear error', async () => {
    await assert.rejects(
      startEngineClient({ serverModule: fixture, execPath: path.join(modelDir, 'no-node') }),
      (e: unknown) => e instanceof EngineClientError && /Cannot start the inference process/.test(e.message),
    );
  });
});
