/**
 * The block-by-block commit window (sampler/commitWindow.ts) around the one denoising loop, with
 * a scripted fake model: commits and re-masks stay in the earliest block with masked positions,
 * blocks finish in order, the first block may be partial, and the budget still finishes the canvas.
 */
import * as assert from 'node:assert/strict';
import { Canvas } from '../../../src/engine/canvas';
import { blockWindow, wholeCanvas } from '../../../src/engine/sampler/commitWindow';
import { denoise } from '../../../src/engine/sampler/denoise';
import { buildPolicy, withDefaults, type RemaskRule } from '../../../src/engine/sampler/policies';
import { mulberry32 } from '../../../src/engine/sampler/random';
import { samplerKinds, type SamplerOptions } from '../../../src/protocol/protocol';
import { type Script, scriptedForward } from './fixtures';

const V = 16;
const MASK = 0;
const PAD = 1;
const banned = new Uint8Array(V);
banned[MASK] = 1;

function setup(n: number) {
  return { canvasLength: n, maskId: MASK, endIds: new Set([PAD]), vocabSize: V, banned, temperature: 0, random: mulberry32(0) };
}

/** Tokens 2…15 cycling (no pad, so every position must be filled), probabilities wandering with pass and canvas. */
function wandering(n: number, seed: number, target?: number[]): Script {
  const noise = Array.from({ length: 64 * n }, mulberry32(seed));
  return {
    vocabSize: V,
    allowed: V - 1,
    target: target ?? Array.from({ length: n }, (_, i) => 2 + (i % 14)),
    prob: (pos, pass, canvas) => {
      const r = noise[(pass * n + pos) % noise.length]!;
      const done = canvas.filter((t) => t !== MASK).length / n;
      return Math.min(0.99, Math.max(0.02, 0.2 + 0.6 * done * r + 0.3 * r));
    },
  };
}

interface Pass {
  before: Uint8Array;
  after: Uint8Array;
  remaskEligible: number[];
}

/** Runs the loop with blocks of `blockLength` from `canvasStart`, recording each pass. */
async function run(script: Script, options: SamplerOptions, steps: number, blockLength: number, canvasStart: number) {
  const n = script.target.length;
  const policy = buildPolicy(withDefaults(options), steps, blockWindow(blockLength, canvasStart));
  const passes: Pass[] = [];
  let eligibleNow: number[] = [];
  const spied: RemaskRule = {
    ...policy.remask,
    select(state, committedNow, eligible, limit) {
      eligibleNow = [...eligible];
      return policy.remask.select(state, committedNow, eligible, limit);
    },
  };
  let before = new Uint8Array(n);
  const result = await denoise(scriptedForward(script).forward, setup(n), { ...policy, remask: spied }, {
    onPass(canvas: Canvas) {
      passes.push({ before, after: Uint8Array.from(canvas.committed), remaskEligible: eligibleNow });
      before = Uint8Array.from(canvas.committed);
      eligibleNow = [];
    },
  });
  return { result, passes };
}

/** Canvas positions [from, to) of the earliest block holding a masked position of `committed`. */
function currentBlock(committed: Uint8Array, blockLength: number, canvasStart: number): [number, number] {
  const first = committed.indexOf(0);
  const block = Math.floor((canvasStart + first) / blockLength);
  return [Math.max(0, block * blockLength - canvasStart), Math.min(committed.length, (block + 1) * blockLength - canvasStart)];
}

describe('engine/sampler: block-by-block commit window', () => {
  for (const kind of samplerKinds) {
    it(`${kind}: commits and re-masks only in the earliest block with masked positions, finishing blocks in order`, async () => {
      for (let seed = 1; seed <= 12; seed++) {
        const n = 10 + (seed % 9);
        const blockLength = 2 + (seed % 4);
        const canvasStart = seed * 7;
        const blocks = Math.ceil((canvasStart + n) / blockLength) - Math.floor(canvasStart / blockLength);
        for (const steps of [blocks, blocks + 3, 2 * n]) {
          const options: SamplerOptions = kind === 'saber' ? { kind, remask: 'always', remaskDivisor: 2 } : { kind };
          const { result, passes } = await run(wandering(n, seed), options, steps, blockLength, canvasStart);
          assert.ok(result.canvas.isDone() && result.forwardPasses <= steps, `seed ${seed}, steps ${steps}`);
          for (const [k, p] of passes.entries()) {
            const [from, to] = currentBlock(p.before, blockLength, canvasStart);
            const where = `seed ${seed}, steps ${steps}, pass ${k}, block [${from}, ${to})`;
            for (let i = 0; i < n; i++) {
              if (p.before[i] !== p.after[i]) assert.ok(i >= from && i < to, `${where}: position ${i} changed`);
            }
            for (const i of p.remaskEligible) assert.ok(i >= from && i < to, `${where}: ${i} offered for re-masking`);
            // Every earlier block is finished before this one is worked on.
            for (let i = 0; i < from; i++) assert.equal(p.before[i], 1, where);
          }
        }
      }
    });
  }

  it('opens a partial first block where the canvas starts mid-block', async () => {
    // Blocks of 4 from position 0, the canvas at 6: its first block is canvas positions 0 and 1.
    const { passes } = await run(wandering(10, 3), { kind: 'lowConfidence' }, 10, 4, 6);
    const touched = (p: Pass) => [...p.after.keys()].filter((i) => p.after[i] !== p.before[i]);
    const firstBlockPasses = passes.filter((p) => p.before[0] === 0 || p.before[1] === 0);
    assert.ok(firstBlockPasses.length >= 1);
    for (const p of firstBlockPasses) for (const i of touched(p)) assert.ok(i < 2, `position ${i} in the first pass's commits`);
    // Then whole blocks: canvas positions 2–5, 6–9.
    const third = passes.find((p) => p.before[6] !== p.after[6])!;
    assert.deepEqual([...third.before.subarray(0, 6)], [1, 1, 1, 1, 1, 1]);
  });

  it('finishes the canvas within any budget, widening over the earliest blocks when passes are fewer than blocks', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const n = 4 + (seed % 20);
      for (const steps of [1, 2, 3, Math.ceil(n / 3), n, n + 5]) {
        for (const kind of samplerKinds) {
          const { result } = await run(wandering(n, seed), { kind }, steps, 1 + (seed % 5), seed);
          assert.ok(result.canvas.isDone(), `seed ${seed}, n ${n}, steps ${steps}, ${kind}`);
          assert.ok(result.forwardPasses <= steps);
        }
      }
    }
  });

  it('gives each block its share of the budget by masked count, and at least one pass', () => {
    const canvas = new Canvas(16, MASK, new Set([PAD]));
    const all = [...Array(16).keys()];
    // Four blocks of 4, eight passes: two for the first.
    assert.deepEqual(blockWindow(4, 0).open(canvas, all, 8), { from: 0, to: 4, passesLeft: 2 });
    // Three passes for four blocks: the first two blocks together in one pass, then one each.
    assert.deepEqual(blockWindow(4, 0).open(canvas, all, 3), { from: 0, to: 8, passesLeft: 1 });
    // The last block takes whatever is left.
    assert.deepEqual(blockWindow(4, 0).open(canvas, [13, 15], 5), { from: 12, to: 16, passesLeft: 5 });
    // Position 0 of the canvas at sequence position 10: blocks of 4 make the first block 2 long.
    assert.deepEqual(blockWindow(4, 10).open(canvas, all, 16), { from: 0, to: 2, passesLeft: 2 });
  });

  it('stops at the first committed end token, never opening the blocks after it', async () => {
    const target = [2, 3, 4, 5, 6, PAD, 7, 8, 9, 10, 11, 12];
    const script: Script = { vocabSize: V, allowed: V - 1, target, prob: () => 0.95 };
    const { result, passes } = await run(script, { kind: 'threshold' }, 12, 4, 0);
    assert.equal(result.canvas.firstEnd(), 5);
    assert.deepEqual(result.canvas.middleTokens(), [2, 3, 4, 5, 6]);
    for (let i = 8; i < 12; i++) assert.equal(result.canvas.committed[i], 0, `position ${i} in a block after the end`);
    assert.equal(passes.length, 2);
  });

  it('is the whole-canvas loop when one block holds the canvas', async () => {
    for (const kind of samplerKinds) {
      const script = wandering(12, 5);
      const whole = await denoise(scriptedForward(script).forward, setup(12), buildPolicy(withDefaults({ kind }), 6, wholeCanvas));
      const blocked = await denoise(scriptedForward(script).forward, setup(12), buildPolicy(withDefaults({ kind }), 6, blockWindow(64, 3)));
      assert.deepEqual(blocked.canvas.ids, whole.canvas.ids);
      assert.deepEqual(blocked.canvas.commitPass, whole.canvas.commitPass);
      assert.equal(blocked.forwardPasses, whole.forwardPasses);
    }
  });
});
