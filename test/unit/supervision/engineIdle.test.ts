import { strict as assert } from 'node:assert';
import { Activity } from '../../../src/editor/activity';
import { describeMinutes, EngineIdle } from '../../../src/supervision/engineIdle';
import type { EngineState } from '../../../src/supervision/engineState';
import { statsOfUnrunInfill, type InfillRequest } from '../../../src/protocol/protocol';

const ready: EngineState = {
  kind: 'ready',
  pid: 7,
  model: { name: 'm', path: '/m', contract: 'split', vocabSize: 64, maxContextTokens: 64, maxCanvasTokens: 16, sizeBytes: 1 },
  device: { provider: 'cpu', kind: 'cpu' },
  warnings: [],
  startupMs: 1,
};

/** A host that records unloads and goes to `stopped` on one, as EngineHost does. */
class FakeHost {
  state: EngineState = ready;
  readonly unloads: string[] = [];
  private readonly listeners = new Set<(s: EngineState) => void>();
  onDidChangeState = (listener: (s: EngineState) => void): { dispose(): void } => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  unload(why: string): Promise<void> {
    this.unloads.push(why);
    this.set({ kind: 'stopped', unloaded: why });
    return Promise.resolve();
  }
  set(state: EngineState): void {
    this.state = state;
    for (const l of this.listeners) l(state);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An infill that runs until `finish` is called. */
function runningInfill(activity: Activity): { finish(): Promise<void> } {
  let resolve!: (r: InfillRequest.Result) => void;
  const done = activity.track('command', () => new Promise<InfillRequest.Result>((r) => (resolve = r)));
  return {
    async finish() {
      resolve({ text: '', finishReason: 'stop', stats: statsOfUnrunInfill('cpu') });
      await done;
    },
  };
}

describe('EngineIdle', () => {
  let idle: EngineIdle | undefined;
  afterEach(() => idle?.dispose());

  function setUp(options: { minutes?: number; paused?: () => string | undefined } = {}): { host: FakeHost; activity: Activity } {
    const host = new FakeHost();
    const activity = new Activity();
    idle = new EngineIdle({ host, activity, idleMinutes: () => options.minutes ?? 0.001, pausedReason: options.paused ?? (() => undefined) });
    return { host, activity };
  }

  it('unloads a ready engine after the idle time without a request, once', async () => {
    const { host } = setUp({ minutes: 0.001 }); // 60 ms
    await sleep(20);
    assert.deepEqual(host.unloads, []);
    await sleep(120);
    assert.deepEqual(host.unloads, ['no request for 1 s']);
  });

  it('never unloads while a request runs, and counts the idle time from its end', async () => {
    const { host, activity } = setUp({ minutes: 0.001 });
    const infill = runningInfill(activity);
    await sleep(150);
    assert.deepEqual(host.unloads, [], 'unloaded while a request ran');
    await infill.finish();
    await sleep(20);
    assert.deepEqual(host.unloads, []);
    await sleep(120);
    assert.equal(host.unloads.length, 1);
  });

  it('keeps the engine with an idle time of 0', async () => {
    const { host } = setUp({ minutes: 0 });
    await sleep(80);
    assert.deepEqual(host.unloads, []);
  });

  it('unloads at once when inline completions are snoozed or turned off, after a running request', async () => {
    const pause: { reason?: string } = {};
    const { host, activity } = setUp({ minutes: 0, paused: () => pause.reason });
    const infill = runningInfill(activity);
    pause.reason = 'inline completions are snoozed';
    idle!.settingsChanged();
    assert.deepEqual(host.unloads, []);
    await infill.finish();
    assert.deepEqual(host.unloads, ['inline completions are snoozed']);
    // Still paused: a command loads the engine again, and the pause does not unload it again.
    host.set(ready);
    idle!.settingsChanged();
    assert.equal(host.unloads.length, 1);
  });

  it('does not unload an engine that is not ready', async () => {
    const pause: { reason?: string } = {};
    const { host } = setUp({ minutes: 0.001, paused: () => pause.reason });
    host.set({ kind: 'starting', attempt: 1 });
    pause.reason = 'inline completions are turned off';
    idle!.settingsChanged();
    await sleep(120);
    assert.deepEqual(host.unloads, []);
  });

  it('describes idle times', () => {
    assert.equal(describeMinutes(15), '15 minutes');
    assert.equal(describeMinutes(1), '1 minute');
    assert.equal(describeMinutes(0.05), '3 s');
  });
});
