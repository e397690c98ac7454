import * as assert from 'node:assert/strict';
import { Canvas } from '../../../src/engine/canvas';
import { OnnxScorer } from '../../../src/engine/runners/scorer';
import { denoise } from '../../../src/engine/sampler/denoise';
import { buildPolicy, withDefaults } from '../../../src/engine/sampler/policies';
import { mulberry32 } from '../../../src/engine/sampler/random';
import { scoreCanvas } from '../../../src/engine/sampler/scoring';

describe('engine/scorer (softmax on onnxruntime)', () => {
  const V = 512;
  const N = 12;
  const banned = new Uint8Array(V);
  [0, 2, 7].forEach((i) => (banned[i] = 1));
  let scorer: OnnxScorer;
  before(async () => (scorer = await OnnxScorer.create(banned, 1)));
  after(async () => scorer?.dispose());

  function randomLogits(seed: number): Float32Array {
    const r = mulberry32(seed);
    const logits = new Float32Array(N * V);
    for (let i = 0; i < logits.length; i++) logits[i] = (r() + r() + r() - 1.5) * 10;
    logits[3 * V + 0] = 1000; // a banned token the model prefers
    return logits;
  }

  it('matches the JavaScript scoring: candidates, confidences, probabilities of committed tokens', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const logits = randomLogits(seed);
      const canvas = new Canvas(N, 0, new Set([1]));
      canvas.commit(4, 99, 0.5, 0);
      canvas.commit(9, 300, 0.5, 0);
      for (const [limit, committed] of [[N, true], [N, false], [6, true]] as const) {
        const js = scoreCanvas(logits, canvas, limit, { vocabSize: V, banned, temperature: 0, random: mulberry32(0) }, committed);
        const ox = await scorer.score(logits, canvas, limit, committed);
        assert.deepEqual(Array.from(ox.candidate), Array.from(js.candidate));
        for (let i = 0; i < N; i++) {
          assert.ok(Math.abs(ox.confidence[i]! - js.confidence[i]!) < 1e-6, `confidence ${i}`);
          if (Number.isNaN(js.currentProb[i]!)) assert.ok(Number.isNaN(ox.currentProb[i]!));
          else assert.ok(Math.abs(ox.currentProb[i]! - js.currentProb[i]!) < 1e-6, `current ${i}`);
        }
        assert.notEqual(ox.candidate[3], 0, 'never a banned token');
      }
    }
  });

  it('gives the denoising loop the same run as JavaScript scoring', async () => {
    const logitsAt = (canvas: Int32Array) => {
      const seed = canvas.reduce((h, t, i) => (h * 31 + t * (i + 1)) >>> 0, 7);
      return Promise.resolve(randomLogits(seed));
    };
    const setup = { canvasLength: N, maskId: 0, endIds: new Set([1]), vocabSize: V, banned, temperature: 0, random: mulberry32(0) };
    for (const kind of ['saber', 'lowConfidence', 'threshold'] as const) {
      const policy = () => buildPolicy(withDefaults({ kind }), N);
      const js = await denoise(logitsAt, setup, policy());
      const ox = await denoise(logitsAt, { ...setup, fastScorer: (l, c, lim, com) => scorer.score(l, c, lim, com) }, policy());
      assert.deepEqual(Array.from(ox.canvas.ids), Array.from(js.canvas.ids), kind);
      assert.equal(ox.forwardPasses, js.forwardPasses);
      assert.equal(ox.remasked, js.remasked);
    }
  });
});
