import * as assert from 'assert';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import type { InfillControl, InfillInput, InfillOutput } from '../../../src/engine/api';
import { InfillScheduler, type InfillMode } from '../../../src/server/scheduler';
import { statsOfUnrunInfill } from '../../../src/protocol/protocol';

/** An engine whose infills finish only when the test says so, one pass at a time. */
class SteppedEngine {
  readonly started: string[] = [];
  private readonly waiting: { name: string; control: InfillControl; finish: (o: InfillOutput) => void }[] = [];
  running = 0;
  maxRunning = 0;

  run = (input: InfillInput, control: InfillControl): Promise<InfillOutput> => {
    this.started.push(input.prefix);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    return new Promise((resolve) => {
      this.waiting.push({
        name: input.prefix,
        control,
        finish: (o) => {
          this.running--;
          resolve(o);
        },
      });
    });
  };

  /** Ends the pass of the running infill: cancelled if it was told to stop, else finished. */
  async endPass(): Promise<void> {
    const job = this.waiting.shift();
    assert.ok(job, 'no infill is running');
    const cancelled = job.control.isCancelled?.() ?? false;
    job.finish({ text: cancelled ? '' : `done ${job.name}`, finishReason: cancelled ? 'cancelled' : 'stop', stats: statsOfUnrunInfill('cpu') });
    await flush();
  }
}

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function input(name: string): InfillInput {
  return { prefix: name, suffix: '', maxTokens: 8, stepBudget: 4, sampler: { kind: 'saber' } };
}

describe('InfillScheduler', () => {
  let engine: SteppedEngine;
  let scheduler: InfillScheduler;
  const submit = (name: string, mode: InfillMode, token?: CancellationTokenSource) =>
    scheduler.submit({ input: input(name), mode, token: token?.token });

  beforeEach(() => {
    engine = new SteppedEngine();
    scheduler = new InfillScheduler(engine.run, () => statsOfUnrunInfill('cpu'));
  });

  it('runs one infill at a time, in order', async () => {
    const a = submit('a', 'command');
    const b = submit('b', 'command');
    await flush();
    assert.deepStrictEqual(engine.started, ['a']);
    assert.strictEqual(scheduler.inFlight, 2);
    await engine.endPass();
    assert.deepStrictEqual(engine.started, ['a', 'b']);
    await engine.endPass();
    assert.strictEqual((await a).text, 'done a');
    assert.strictEqual((await b).text, 'done b');
    assert.strictEqual(engine.maxRunning, 1);
    assert.deepStrictEqual(scheduler.counters, { received: 2, completed: 2, cancelled: 0, failed: 0 });
  });

  it('a new inline request cancels the running one and drops the queued ones', async () => {
    const first = submit('first', 'inline');
    await flush();
    const second = submit('second', 'inline');
    const third = submit('third', 'inline');
    // `second` was queued when `third` came: it resolves cancelled without ever running.
    assert.strictEqual((await second).finishReason, 'cancelled');
    await engine.endPass(); // `first` sees the cancel between passes
    assert.strictEqual((await first).finishReason, 'cancelled');
    await engine.endPass();
    assert.strictEqual((await third).text, 'done third');
    assert.deepStrictEqual(engine.started, ['first', 'third']);
    assert.deepStrictEqual(scheduler.counters, { received: 3, completed: 1, cancelled: 2, failed: 0 });
  });

  it('never supersedes command requests, and inline requests do not cancel them', async () => {
    const command = submit('command', 'command');
    await flush();
    const inline1 = submit('inline1', 'inline');
    const command2 = submit('command2', 'command');
    const inline2 = submit('inline2', 'inline');
    assert.strictEqual((await inline1).finishReason, 'cancelled');
    await engine.endPass();
    assert.strictEqual((await command).text, 'done command');
    await engine.endPass();
    assert.strictEqual((await command2).text, 'done command2');
    await engine.endPass();
    assert.strictEqual((await inline2).text, 'done inline2');
  });

  it('a cancelled token drops a queued job at once and stops a running one at the next pass', async () => {
    const runningToken = new CancellationTokenSource();
    const queuedToken = new CancellationTokenSource();
    const running = submit('running', 'command', runningToken);
    const queued = submit('queued', 'command', queuedToken);
    await flush();
    queuedToken.cancel();
    const queuedResult = await queued;
    assert.strictEqual(queuedResult.finishReason, 'cancelled');
    assert.strictEqual(queuedResult.stats.forwardPasses, 0);
    runningToken.cancel();
    await engine.endPass();
    assert.strictEqual((await running).finishReason, 'cancelled');
    assert.deepStrictEqual(engine.started, ['running']);
    assert.strictEqual(scheduler.inFlight, 0);
  });

  it('an already cancelled token never reaches the engine', async () => {
    const token = new CancellationTokenSource();
    token.cancel();
    assert.strictEqual((await submit('late', 'command', token)).finishReason, 'cancelled');
    assert.deepStrictEqual(engine.started, []);
  });

  it('a failing infill rejects, is counted, and does not block the next one', async () => {
    let calls = 0;
    scheduler = new InfillScheduler(
      (i) => {
        calls++;
        if (calls === 1) return Promise.reject(new Error('boom'));
        return Promise.resolve({ text: i.prefix, finishReason: 'stop', stats: statsOfUnrunInfill('cpu') });
      },
      () => statsOfUnrunInfill('cpu'),
    );
    const failing = scheduler.submit({ input: input('x'), mode: 'command' });
    const next = scheduler.submit({ input: input('y'), mode: 'command' });
    await assert.rejects(failing, /boom/);
    assert.strictEqual((await next).text, 'y');
    assert.deepStrictEqual(scheduler.counters, { received: 2, completed: 1, cancelled: 0, failed: 1 });
  });

  it('cancelAll and whenIdle let shutdown wait for the running pass', async () => {
    const a = submit('a', 'command');
    const b = submit('b', 'command');
    await flush();
    scheduler.cancelAll();
    assert.strictEqual((await b).finishReason, 'cancelled');
    let idle = false;
    const idlePromise = scheduler.whenIdle().then(() => (idle = true));
    await flush();
    assert.strictEqual(idle, false, 'idle while a pass still runs');
    await engine.endPass();
    await idlePromise;
    assert.strictEqual((await a).finishReason, 'cancelled');
  });

  it('keeps only the newest of a storm of inline requests', async () => {
    const results = Array.from({ length: 200 }, (_, i) => submit(`r${i}`, 'inline'));
    await flush();
    await engine.endPass(); // r0 was running and is cancelled
    await engine.endPass(); // r199 runs to the end
    const settled = await Promise.all(results);
    assert.strictEqual(settled.filter((r) => r.finishReason !== 'cancelled').length, 1);
    assert.strictEqual(settled[199]?.text, 'done r199');
    assert.deepStrictEqual(engine.started, ['r0', 'r199']);
    assert.deepStrictEqual(scheduler.counters, { received: 200, completed: 1, cancelled: 199, failed: 0 });
  });

  it('says how long the running job has run, and how long ago it was cancelled without stopping', async () => {
    let now = 1000;
    scheduler = new InfillScheduler(engine.run, () => statsOfUnrunInfill('cpu'), () => now);
    assert.strictEqual(scheduler.runningForMs, 0);
    const token = new CancellationTokenSource();
    const job = submit('stuck', 'command', token);
    await flush();
    now = 4000;
    assert.strictEqual(scheduler.runningForMs, 3000);
    assert.strictEqual(scheduler.cancelledForMs, 0, 'not cancelled yet');
    token.cancel();
    const signal = engine['waiting'][0]?.control.signal;
    assert.ok(signal?.aborted, 'the engine is told through its abort signal too');
    now = 9000;
    assert.strictEqual(scheduler.cancelledForMs, 5000);
    await engine.endPass();
    assert.strictEqual((await job).finishReason, 'cancelled');
    assert.strictEqual(scheduler.runningForMs, 0);
    assert.strictEqual(scheduler.cancelledForMs, 0);
  });
});
