import { strict as assert } from 'node:assert';
import type { EngineState } from '../../../src/supervision/engineState';
import { describeStatus, healthOf, type StatusInput } from '../../../src/editor/statusModel';

describe('status model', () => {
  const ready: EngineState = {
    kind: 'ready',
    pid: 42,
    model: { name: 'tiny', path: '/m', contract: 'split', vocabSize: 4096, maxContextTokens: 1024, maxCanvasTokens: 128, sizeBytes: 22_000_000 },
    device: { provider: 'cpu', kind: 'cpu', threads: 2 },
    warnings: [],
    startupMs: 300,
  };
  const base: StatusInput = { engine: ready, now: 1_000_000, busy: false };
  const off = 'inline completions are off (dllm.inline.enabled)';

  it('orders health: error, loading, busy, snoozed, off, idle, ready', () => {
    assert.equal(healthOf({ ...base, engine: { kind: 'failed', message: 'x' }, busy: true }), 'error');
    assert.equal(healthOf({ ...base, engine: { kind: 'starting', attempt: 1 } }), 'loading');
    assert.equal(healthOf({ ...base, engine: { kind: 'restarting', reason: 'crash', delayMs: 500, attempt: 2 } }), 'loading');
    assert.equal(healthOf({ ...base, busy: true, inlineOff: off }), 'busy');
    assert.equal(healthOf({ ...base, snoozedUntil: base.now + 1000, inlineOff: off }), 'snoozed');
    assert.equal(healthOf({ ...base, snoozedUntil: base.now - 1 }), 'ready');
    assert.equal(healthOf({ ...base, inlineOff: off }), 'off');
    assert.equal(healthOf({ ...base, engine: { kind: 'stopped' }, inlineOff: off }), 'off');
    assert.equal(healthOf({ ...base, engine: { kind: 'stopped', unloaded: 'idle' } }), 'idle');
    assert.equal(healthOf(base), 'ready');
  });

  it('says why inline completions are off in the active editor', () => {
    const v = describeStatus({ ...base, inlineOff: 'off for language "python" (dllm.inline.languages)' });
    assert.equal(v.text, '$(circle-slash) dLLM');
    assert.match(v.tooltip, /off for language "python"/);
  });

  it('says when the engine is unloaded and that it loads on demand', () => {
    const v = describeStatus({ ...base, engine: { kind: 'stopped', unloaded: 'no request for 15 minutes' } });
    assert.equal(v.health, 'idle');
    assert.match(v.tooltip, /unloaded \(no request for 15 minutes\).*loads with the next completion/);
    assert.match(describeStatus({ ...base, engine: { kind: 'stopped' } }).tooltip, /not running yet/);
  });

  it('shows the device, last latency and forward passes when ready', () => {
    const v = describeStatus({ ...base, last: { totalMs: 141.6, forwardPasses: 9 } });
    assert.equal(v.text, '$(sparkle) dLLM CPU · 142 ms · 9 passes');
    assert.match(v.tooltip, /Model: tiny \(22 MB, split contract\)/);
    assert.equal(v.background, undefined);
  });

  it('says "no suggestion", not a timing, when the last completion showed nothing, and why in the tooltip', () => {
    const why = 'the model left the middle empty (model said ""; 12 passes, 87 ms)';
    const v = describeStatus({ ...base, last: { totalMs: 87, forwardPasses: 12 }, nothingShown: why });
    assert.equal(v.text, '$(sparkle) dLLM CPU · no suggestion');
    assert.match(v.tooltip, /Last completion: no suggestion — the model left the middle empty/);
    assert.doesNotMatch(v.text + v.tooltip, /87 ms, 12 forward passes/);
  });

  it('shows the failure with an error background', () => {
    const v = describeStatus({ ...base, engine: { kind: 'failed', message: 'gave up after 5 crashes' } });
    assert.equal(v.background, 'error');
    assert.match(v.tooltip, /gave up after 5 crashes/);
  });

  it('counts snooze minutes up', () => {
    const v = describeStatus({ ...base, snoozedUntil: base.now + 14 * 60_000 + 1 });
    assert.equal(v.text, '$(clock) dLLM 15 min');
  });
});
