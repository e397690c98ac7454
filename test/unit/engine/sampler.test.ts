import * as assert from 'node:assert/strict';
import { Canvas } from '../../../src/engine/canvas';
import { DenoiseHooks, DenoiseResult, denoise } from '../../../src/engine/sampler/denoise';
import { buildPolicy, withDefaults, type RemaskRule, type SamplerPolicy } from '../../../src/engine/sampler/policies';
import { mulberry32 } from '../../../src/engine/sampler/random';
import { samplerKinds, type SamplerOptions } from '../../../src/protocol/protocol';
import { Script, scriptedForward } from './fixtures';

const V = 16;
const MASK = 0;
const PAD = 1;
const banned = new Uint8Array(V);
banned[MASK] = 1;
const ALLOWED = V - 1;

function setup(n: number, temperature = 0, seed = 0) {
  return { canvasLength: n, maskId: MASK, endIds: new Set([PAD]), vocabSize: V, banned, temperature, random: mulberry32(seed) };
}

interface PassRecord {
  committedBefore: Uint8Array;
  committedAfter: Uint8Array;
  commitPass: Int32Array;
  ids: Int32Array;
}

/** Runs the loop, recording each pass's canvas and every re-mask decision. */
async function run(script: Script, options: SamplerOptions, steps: number, hooks: DenoiseHooks = {}) {
  const n = script.target.length;
  const policy = buildPolicy(withDefaults(options), steps);
  const remaskCalls: { pass: number; chosen: number[]; committedNow: number[]; commitPassAtSelect: number[] }[] = [];
  const spied: RemaskRule = {
    name: policy.remask.name,
    readsCommitted: policy.remask.readsCommitted,
    select(state, committedNow, eligible, limit) {
      const chosen = policy.remask.select(state, committedNow, eligible, limit);
      remaskCalls.push({ pass: state.pass, chosen, committedNow: [...committedNow], commitPassAtSelect: chosen.map((i) => state.canvas.commitPass[i]!) });
      return chosen;
    },
  };
  const passes: PassRecord[] = [];
  let before = new Uint8Array(n);
  const { forward, calls } = scriptedForward(script);
  const result = await denoise(forward, setup(n), { ...policy, remask: spied } satisfies SamplerPolicy, {
    ...hooks,
    onPass(canvas: Canvas, fp: number) {
      passes.push({ committedBefore: before, committedAfter: Uint8Array.from(canvas.committed), commitPass: Int32Array.from(canvas.commitPass), ids: Int32Array.from(canvas.ids) });
      before = Uint8Array.from(canvas.committed);
      hooks.onPass?.(canvas, fp);
    },
  });
  return { result, passes, remaskCalls, calls };
}

const count = (a: Uint8Array) => a.reduce((s, x) => s + x, 0);

/** Tokens 2…15 cycling: no pad, so the whole canvas must be filled. */
function plainTarget(n: number): number[] {
  return Array.from({ length: n }, (_, i) => 2 + (i % 14));
}

/** A script whose probabilities wander with the pass and the canvas, so commits and drops vary. */
function wanderingScript(n: number, seed: number, target = plainTarget(n)): Script {
  const noise = Array.from({ length: 64 * n }, mulberry32(seed));
  return {
    vocabSize: V,
    allowed: ALLOWED,
    target,
    prob: (pos, pass, canvas) => {
      const r = noise[(pass * n + pos) % noise.length]!;
      const committedNear = canvas.filter((t) => t !== MASK).length / n;
      return Math.min(0.99, Math.max(0.02, 0.2 + 0.6 * committedNear * r + 0.3 * r));
    },
  };
}

function assertFinished(result: DenoiseResult) {
  assert.equal(result.cancelled, false);
  assert.ok(result.canvas.isDone(), 'every position before the first pad is committed');
}

describe('engine/sampler: saber', () => {
  it('commits at least minPerStep per pass (or all that remain) and gains at least one position', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const n = 6 + (seed % 11);
      const { result, passes } = await run(wanderingScript(n, seed), { kind: 'saber', minPerStep: 2 }, 1000);
      assertFinished(result);
      for (const [pass, p] of passes.entries()) {
        const remaining = n - count(p.committedBefore);
        const committedThisPass = Array.from(p.commitPass).filter((x) => x === pass).length;
        const remasked = Array.from(p.committedBefore).filter((c, i) => c === 1 && p.committedAfter[i] === 0).length;
        // Positions committed this pass and still committed, plus those re-masked (only earlier ones are).
        assert.ok(committedThisPass >= Math.min(2, remaining), `seed ${seed} pass ${pass}: committed ${committedThisPass}`);
        assert.ok(count(p.committedAfter) > count(p.committedBefore), `seed ${seed} pass ${pass}: no gain`);
        assert.ok(remasked <= committedThisPass - 1 || remasked === 0);
      }
    }
  });

  it('never exceeds the step budget and finishes every position by the last pass', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const n = 4 + (seed % 20);
      for (const steps of [1, 2, 3, Math.ceil(n / 3), n, n + 5]) {
        for (const remask of ['always', 'onDrop', 'off'] as const) {
          const { result } = await run(wanderingScript(n, seed), { kind: 'saber', remask }, steps);
          assertFinished(result);
          assert.ok(result.forwardPasses <= steps, `seed ${seed}, n ${n}, steps ${steps}: ${result.forwardPasses} passes`);
        }
      }
    }
  });

  it('re-masks only positions committed in an earlier pass, never the ones committed this pass', async () => {
    let total = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const n = 16;
      const { result, remaskCalls } = await run(wanderingScript(n, seed), { kind: 'saber', remask: 'always', remaskDivisor: 2 }, 1000);
      assertFinished(result);
      for (const call of remaskCalls) {
        for (const [k, i] of call.chosen.entries()) {
          assert.ok(!call.committedNow.includes(i), `pass ${call.pass}: re-masked ${i}, committed this pass`);
          assert.ok(call.commitPassAtSelect[k]! >= 0 && call.commitPassAtSelect[k]! < call.pass, `pass ${call.pass}: ${i} was not committed earlier`);
          assert.ok(i >= 0 && i < n);
        }
        total += call.chosen.length;
      }
      assert.equal(result.remasked, remaskCalls.reduce((s, c) => s + c.chosen.length, 0));
    }
    assert.ok(total > 0, 'the scripts must exercise re-masking');
  });

  it('re-masks the position whose probability fell the most since commit', async () => {
    // Pass 0 commits positions 0 and 1 (0.9 each); afterwards position 1 collapses to 0.1.
    const script: Script = {
      vocabSize: V,
      allowed: ALLOWED,
      target: [2, 3, 4, 5, 6, 7],
      prob: (pos, pass) => (pass === 0 ? (pos < 2 ? 0.9 : 0.3) : pos === 1 ? 0.1 : 0.8),
    };
    const { passes, remaskCalls } = await run(script, { kind: 'saber', remaskDivisor: 8 }, 100);
    assert.deepEqual(remaskCalls[1]!.chosen, [1]);
    assert.equal(passes[1]!.committedAfter[1], 0, 'position 1 is masked again after pass 1');
    assert.equal(passes[1]!.committedAfter[0], 1);
  });

  it("'onDrop' leaves committed tokens alone while their probability holds; 'off' never re-masks", async () => {
    const steady: Script = { vocabSize: V, allowed: ALLOWED, target: plainTarget(12), prob: (pos) => 0.5 + pos * 0.03 };
    const onDrop = await run(steady, { kind: 'saber', remask: 'onDrop' }, 100);
    assert.equal(onDrop.result.remasked, 0);
    const always = await run(steady, { kind: 'saber', remask: 'always' }, 100);
    assert.ok(always.result.remasked > 0, 'the published rule re-masks every pass');
    for (let seed = 1; seed <= 10; seed++) {
      const off = await run(wanderingScript(12, seed), { kind: 'saber', remask: 'off' }, 100);
      assert.equal(off.result.remasked, 0);
    }
  });

  it('commits every position above the mean confidence of committed tokens', async () => {
    // Pass 0: 0.6 and 0.5 are the two best → τ = 0.55. Pass 1: positions at 0.7 pass τ, 0.4 do not.
    const script: Script = {
      vocabSize: V,
      allowed: ALLOWED,
      target: [2, 3, 4, 5, 6, 7, 8],
      prob: (pos, pass) => (pass === 0 ? [0.6, 0.5, 0.2, 0.2, 0.2, 0.2, 0.2][pos]! : [0.9, 0.9, 0.7, 0.7, 0.7, 0.4, 0.4][pos]!),
    };
    const { passes } = await run(script, { kind: 'saber', remask: 'off' }, 100);
    assert.deepEqual(Array.from(passes[0]!.committedAfter), [1, 1, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(passes[1]!.committedAfter), [1, 1, 1, 1, 1, 0, 0]);
  });
});

describe('engine/sampler: baselines', () => {
  it('lowConfidence with steps = canvas commits exactly one per pass, most confident first, never re-masks', async () => {
    const n = 10;
    const script: Script = { vocabSize: V, allowed: ALLOWED, target: plainTarget(n), prob: (pos) => 0.3 + 0.05 * ((pos * 7) % n) };
    const { result, passes } = await run(script, { kind: 'lowConfidence' }, n);
    assertFinished(result);
    assert.equal(result.forwardPasses, n);
    assert.equal(result.remasked, 0);
    const order = passes.map((p) => p.committedAfter.findIndex((c, i) => c === 1 && p.committedBefore[i] === 0));
    for (const p of passes) assert.equal(count(p.committedAfter) - count(p.committedBefore), 1);
    const expected = [...Array(n).keys()].sort((a, b) => script.prob(b, 0, new Int32Array(n)) - script.prob(a, 0, new Int32Array(n)));
    assert.deepEqual(order, expected);
  });

  it('lowConfidence with S steps commits ceil(remaining / steps left) per pass', async () => {
    const { result, passes } = await run(wanderingScript(10, 3), { kind: 'lowConfidence' }, 4);
    assert.equal(result.forwardPasses, 4);
    assert.deepEqual(passes.map((p) => count(p.committedAfter) - count(p.committedBefore)), [3, 3, 2, 2]);
  });

  it('threshold commits every position above the threshold, at least one per pass', async () => {
    const script: Script = {
      vocabSize: V,
      allowed: ALLOWED,
      target: plainTarget(8),
      prob: (pos, pass) => (pass === 0 ? [0.95, 0.5, 0.97, 0.5, 0.5, 0.91, 0.5, 0.5][pos]! : 0.5 + pos * 0.01),
    };
    const { result, passes } = await run(script, { kind: 'threshold', threshold: 0.9 }, 100);
    assertFinished(result);
    assert.deepEqual(Array.from(passes[0]!.committedAfter), [1, 0, 1, 0, 0, 1, 0, 0]);
    // Nothing clears 0.9 afterwards: one per pass, the most confident (highest position) first.
    assert.deepEqual(Array.from(passes[1]!.committedAfter), [1, 0, 1, 0, 0, 1, 0, 1]);
    assert.equal(result.forwardPasses, 1 + 5);
  });

  it('threshold still respects the budget', async () => {
    const script: Script = { vocabSize: V, allowed: ALLOWED, target: plainTarget(12), prob: () => 0.5 };
    const { result } = await run(script, { kind: 'threshold' }, 3);
    assertFinished(result);
    assert.equal(result.forwardPasses, 3);
  });
});

describe('engine/sampler: stopping, cancellation, tokens', () => {
  it('stops early once a pad is committed and everything before it is committed', async () => {
    // The middle is 3 tokens; the pad at position 3 and the tokens before it are the most confident.
    const target = [5, 6, 7, PAD, PAD, PAD, PAD, PAD, PAD, PAD, PAD, PAD];
    const script: Script = { vocabSize: V, allowed: ALLOWED, target, prob: (pos) => (pos <= 3 ? 0.95 : 0.3) };
    const { result, calls } = await run(script, { kind: 'lowConfidence' }, 12);
    assert.equal(result.forwardPasses, 4, 'one position per pass, then stop');
    assert.equal(calls.length, 4);
    assert.deepEqual(result.canvas.middleTokens(), [5, 6, 7]);
    assert.equal(result.canvas.firstEnd(), 3);
  });

  it('shows the model pads after the first committed pad when tailFill is set, never changing the canvas', async () => {
    const target = [5, PAD, 7, 8, 9, 10];
    const script: Script = { vocabSize: V, allowed: ALLOWED, target, prob: (pos) => (pos === 1 ? 0.99 : 0.5 - pos * 0.01) };
    const { forward, calls } = scriptedForward(script);
    const policy = buildPolicy(withDefaults({ kind: 'lowConfidence' }), 6);
    const res = await denoise(forward, { ...setup(6), tailFill: PAD }, policy);
    assert.deepEqual(Array.from(calls[0]!), [MASK, MASK, MASK, MASK, MASK, MASK]);
    assert.deepEqual(Array.from(calls[1]!), [MASK, PAD, PAD, PAD, PAD, PAD]);
    assert.equal(calls.length, 2);
    assert.deepEqual(Array.from(res.canvas.ids), [5, PAD, MASK, MASK, MASK, MASK]);
  });

  it('with endAtFrontier, commits a pad only where every earlier position is committed', async () => {
    // The model is surest of the pads; without the rule they are committed right to left first.
    const target = [5, 6, 7, 8, PAD, PAD, PAD, PAD, PAD, PAD];
    const script: Script = { vocabSize: V, allowed: ALLOWED, target, prob: (pos) => (pos >= 4 ? 0.95 : 0.4 + 0.02 * pos) };
    for (const kind of ['saber', 'lowConfidence', 'threshold'] as const) {
      const { forward, calls } = scriptedForward(script);
      const seen: Int32Array[] = [];
      const res = await denoise(forward, { ...setup(10), endAtFrontier: true }, buildPolicy(withDefaults({ kind }), 10), {
        onPass: (c) => seen.push(Int32Array.from(c.ids)),
      });
      assert.deepEqual(res.canvas.middleTokens(), [5, 6, 7, 8], kind);
      assert.equal(res.canvas.firstEnd(), 4);
      for (const ids of seen) {
        const end = ids.indexOf(PAD);
        if (end >= 0) assert.ok(ids.slice(0, end).every((t) => t !== MASK), `${kind}: a pad before the frontier in ${ids.join(',')}`);
      }
      assert.ok(calls.length <= 10);
    }
    const plain = await run(script, { kind: 'lowConfidence' }, 10);
    assert.deepEqual(plain.result.canvas.middleTokens(), [5, 6, 7, 8], 'the plain loop gets there too, pads first');
    assert.equal(plain.passes[0]!.committedAfter[4]! + plain.passes[0]!.committedAfter[9]!, 1, 'the plain loop starts with a pad');
  });

  it('with endAtFrontier, still finishes within a tight budget', async () => {
    const target = [5, 6, 7, 8, 9, 10, PAD, PAD, PAD, PAD, PAD, PAD];
    const script: Script = { vocabSize: V, allowed: ALLOWED, target, prob: (pos) => (pos >= 6 ? 0.95 : 0.3) };
    for (const steps of [1, 2, 3]) {
      const { forward } = scriptedForward(script);
      const res = await denoise(forward, { ...setup(12), endAtFrontier: true }, buildPolicy(withDefaults({ kind: 'saber' }), steps));
      assert.ok(res.forwardPasses <= steps);
      assert.ok(res.canvas.isDone());
    }
  });

  it('cancellation stops before the next forward pass, keeping what is committed', async () => {
    let cancelled = false;
    const { result, calls } = await run(wanderingScript(16, 1), { kind: 'lowConfidence' }, 16, {
      isCancelled: () => cancelled,
      onPass: (_c, fp) => {
        if (fp === 2) cancelled = true;
      },
    });
    assert.equal(result.cancelled, true);
    assert.equal(result.forwardPasses, 2);
    assert.equal(calls.length, 2);
    assert.equal(result.canvas.committedCount(), 2);
  });

  it('never commits the mask token, even when the model prefers it', async () => {
    const n = 6;
    const forward = (canvas: Int32Array) => {
      const logits = new Float32Array(canvas.length * V);
      for (let j = 0; j < canvas.length; j++) {
        logits[j * V + MASK] = 50;
        logits[j * V + 4] = 2;
      }
      return Promise.resolve(logits);
    };
    const res = await denoise(forward, setup(n), buildPolicy(withDefaults({ kind: 'saber' }), 100));
    assert.ok(res.canvas.isDone());
    assert.deepEqual(Array.from(res.canvas.ids), [4, 4, 4, 4, 4, 4]);
  });

  it('a seeded temperature > 0 run is reproducible (golden)', async () => {
    // Flat-ish logits so the draw, not the argmax, decides.
    const forward = (canvas: Int32Array) => {
      const logits = new Float32Array(canvas.length * V);
      for (let j = 0; j < canvas.length; j++) for (let t = 0; t < V; t++) logits[j * V + t] = ((t * 7 + j * 3) % 5) * 0.3;
      return Promise.resolve(logits);
    };
    const sample = async (seed: number) => {
      const policy = buildPolicy(withDefaults({ kind: 'saber', temperature: 1, seed }), 100);
      const res = await denoise(forward, setup(12, 1, seed), policy);
      assert.ok(res.canvas.isDone());
      assert.ok(!res.canvas.middleTokens().includes(MASK));
      return Array.from(res.canvas.ids);
    };
    const a = await sample(42);
    assert.deepEqual(a, await sample(42));
    assert.notDeepEqual(a, await sample(43));
    assert.deepEqual(a, GOLDEN_SEED_42);
  });

  it('temperature 0 is argmax and ignores the seed', async () => {
    const script = wanderingScript(10, 5);
    const a = await run(script, { kind: 'saber', seed: 1 }, 100);
    const b = await run(script, { kind: 'saber', seed: 2 }, 100);
    assert.deepEqual(Array.from(a.result.canvas.ids), script.target);
    assert.deepEqual(Array.from(a.result.canvas.ids), Array.from(b.result.canvas.ids));
  });
});

describe('engine/sampler: options', () => {
  it('fills the defaults of the options a request leaves out, and keeps those it sets', () => {
    const o = withDefaults({ kind: 'saber' });
    assert.equal(o.minPerStep, 2);
    assert.equal(o.remaskDivisor, 8);
    assert.equal(o.remask, 'always');
    assert.equal(o.threshold, 0.9);
    assert.equal(o.temperature, 0);
    assert.equal(withDefaults({ kind: 'saber', minPerStep: undefined }).minPerStep, 2);
    assert.deepEqual(withDefaults({ kind: 'threshold', threshold: 0.5, seed: 7 }), { ...o, kind: 'threshold', threshold: 0.5, seed: 7 });
  });

  it('builds a policy for every sampler kind the protocol names', () => {
    for (const kind of samplerKinds) {
      const policy = buildPolicy(withDefaults({ kind }), 4);
      assert.equal(policy.commit.name, kind);
      assert.equal(policy.budget.maxPasses, 4);
    }
  });
});

/** Canvas after the seeded run: a pad was drawn at position 4, so the rest never mattered. */
const GOLDEN_SEED_42: number[] = [13, 8, 13, 5, PAD, MASK, MASK, 4, MASK, MASK, MASK, MASK];
