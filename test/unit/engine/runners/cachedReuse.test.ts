/**
 * A document's next request in the cached mode, on tiny random checkpoints: the moves that carry
 * the earlier sequence's tokens into the new one (typing at the prefix's end, the window's front
 * sliding, the suffix moving), keys turned to a new position as the graph itself would compute
 * them there, and a request whose text did not change taking its first pass from the earlier
 * request's keys and values with the logits of a full refresh.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadEngine } from '../../../../src/engine/engine';
import { loadParts } from '../../../../src/engine/model/load';
import { CachedModel } from '../../../../src/engine/runners/cached';
import { LaidOut, alignSequences, rotateKeys, uncovered } from '../../../../src/engine/runners/cachedReuse';
import type { SequenceLayout } from '../../../../src/engine/runners/model';
import { DREAM_SPEC, LLADA_SPEC, convertedTiny, headSize } from '../../convert/tinyCheckpoint';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-cached-reuse-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));


const laidOut = (head: number[], prefix: number[], canvas: number, suffix: number[]): LaidOut => {
  const ids = BigInt64Array.from([...head, ...prefix, ...new Array<number>(canvas).fill(0), ...suffix], BigInt);
  return { ids, head: head.length, canvasStart: head.length + prefix.length, canvasEnd: head.length + prefix.length + canvas };
};

describe('engine/runners/cachedReuse: a document’s next request in the cached mode', function () {
  this.timeout(60000);

  it('carries the head, the prefix (its window slid by the tokens typed) and the suffix (moved) into the new sequence', () => {
    // Typed 2 tokens (7, 8) at the prefix's end; the window dropped the prefix's first 2 tokens.
    const old = laidOut([1], [10, 11, 12, 13, 14, 15], 4, [20, 21, 22]);
    const next = laidOut([1], [12, 13, 14, 15, 7, 8], 4, [20, 21, 22]);
    const moves = alignSequences(old, next);
    assert.deepEqual(moves, [
      { from: 0, to: 0, count: 1 },
      { from: 3, to: 1, count: 4 },
      { from: 11, to: 11, count: 3 },
    ]);
    assert.deepEqual(uncovered(next.ids.length, moves), [5, 6, 7, 8, 9, 10]);
    // A shorter canvas moves the suffix; an edited suffix keeps only its common start.
    const edited = laidOut([1], [10, 11, 12, 13, 14, 15], 2, [20, 99, 22]);
    assert.deepEqual(alignSequences(old, edited).at(-1), { from: 11, to: 9, count: 1 });
    // A different head (another language token) carries nothing of the prefix.
    assert.deepEqual(alignSequences(old, laidOut([2], [10, 11, 12, 13, 14, 15], 4, [20, 21, 22])), [{ from: 11, to: 11, count: 3 }]);
  });

  for (const spec of [DREAM_SPEC, LLADA_SPEC]) {
    it(`${spec.family}: a key turned by Δ positions is the key the graph computes Δ positions on`, async () => {
      const dir = await convertedTiny(tmp, spec);
      const graph = await ort.InferenceSession.create(path.join(dir, 'cached.onnx'));
      try {
        const ids = [3, 17, 0, 41, 8, 8, 29];
        const d = headSize(spec);
        const empty = new ort.Tensor('float32', new Float32Array(0), [spec.layers, 1, spec.kvHeads, 0, d]);
        const keysAt = async (from: number): Promise<Float32Array> => {
          const out = await graph.run({
            input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
            position_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(from + i)), [1, ids.length]),
            past_keys: empty,
            past_values: empty,
            logit_rows: new ort.Tensor('int64', BigInt64Array.from([0n]), [1]),
          });
          return (out.keys as ort.Tensor).data as Float32Array;
        };
        const { ropeTheta: theta } = JSON.parse(fs.readFileSync(path.join(dir, 'dllm.json'), 'utf8')) as { ropeTheta: number };
        assert.equal(theta, spec.ropeTheta);
        const at0 = await keysAt(0);
        for (const delta of [5, 300]) {
          const want = await keysAt(delta);
          const turned = rotateKeys(at0, d, delta, theta);
          const diff = turned.reduce((m, x, i) => Math.max(m, Math.abs(x - want[i]!)), 0);
          assert.ok(diff < 1e-4, `Δ ${delta}: ${diff}`);
        }
      } finally {
        await graph.release();
      }
    });

    it(`${spec.family}: a request on unchanged text starts from the earlier request's keys and values, with a refresh's logits`, async () => {
      const dir = await convertedTiny(tmp, spec);
      const mask = spec.vocab - 2;
      const layout: SequenceLayout = { head: [], prefix: [5, 9, 30, 7, 12, 4, 19, 6], canvasLength: 4, suffix: [2, 17, 11], tail: [] };
      const model = (await loadParts({ modelDir: dir, device: 'cpu', threads: 1, cachedRefreshEvery: 8 })).model;
      try {
        assert.ok(model instanceof CachedModel);
        const canvas = new Int32Array(4).fill(mask);
        const first = await model.begin(layout, 'doc');
        assert.equal(first.contextReused, 0);
        const cold = await first.forward(canvas);
        first.release();
        const second = await model.begin(layout, 'doc');
        const reused = second.contextReused ?? 0;
        // Everything but the canvas (and, for shifted logits, the token before it).
        assert.equal(reused, layout.prefix.length + layout.suffix.length - (spec.family === 'dream' ? 1 : 0));
        const warm = await second.forward(canvas);
        second.release();
        const diff = warm.reduce((m, x, i) => Math.max(m, Math.abs(x - cold[i]!)), 0);
        assert.ok(diff < 1e-4, `warm first pass against the cold one: ${diff}`);
        // Another document, or a forgotten one, starts cold.
        assert.equal((await model.begin(layout, 'other')).contextReused, 0);
        model.forget?.('doc');
        assert.equal((await model.begin(layout, 'doc')).contextReused, 0);
      } finally {
        await model.dispose();
      }
    });
  }

  it('the engine: a keystroke later, a request on the same document encodes only what it could not reuse, and says so', async () => {
    const dir = await convertedTiny(tmp, DREAM_SPEC);
    const engine = await loadEngine({ modelDir: dir, device: 'cpu', threads: 1, cachedRefreshEvery: 8 });
    try {
      const request = (prefix: string, document?: string) =>
        engine.infill({ prefix, suffix: ')\nprint(total)\n', maxTokens: 4, stepBudget: 2, sampler: { kind: 'saber' }, ...(document ? { document } : {}) });
      const cold = await request('def add(a, b):\n    total = a + b\n    return add(a', 'file:///a.py');
      assert.equal(cold.stats.contextReused, 0);
      assert.equal(cold.stats.contextEncoded, cold.stats.promptTokens);
      const warm = await request('def add(a, b):\n    total = a + b\n    return add(a,', 'file:///a.py');
      assert.ok(warm.stats.contextReused > warm.stats.promptTokens / 2, `reused ${warm.stats.contextReused} of ${warm.stats.promptTokens}`);
      assert.equal(warm.stats.contextEncoded, warm.stats.promptTokens - warm.stats.contextReused);
      assert.equal(typeof warm.text, 'string');
      // Without a document nothing is kept or reused.
      assert.equal((await request('def add(a, b):\n    total = a + b\n    return add(a,')).stats.contextReused, 0);
      engine.forgetDocument('file:///a.py');
      assert.equal((await request('def add(a, b):\n    total = a + b\n    return add(a, ', 'file:///a.py')).stats.contextReused, 0);
    } finally {
      await engine.dispose();
    }
  });

  it('reuses nothing in exact mode, or once the earlier keys and values are a full interval old', async () => {
    const dir = await convertedTiny(tmp, LLADA_SPEC);
    const layout: SequenceLayout = { head: [], prefix: [5, 9, 30, 7], canvasLength: 3, suffix: [2, 17], tail: [] };
    const canvas = new Int32Array(3).fill(LLADA_SPEC.vocab - 2);
    for (const [every, passes, reused] of [[0, 1, 0], [2, 2, 0], [2, 1, 6], [3, 2, 6]] as const) {
      const model = (await loadParts({ modelDir: dir, device: 'cpu', threads: 1, cachedRefreshEvery: every })).model;
      try {
        const first = await model.begin(layout, 'doc');
        for (let p = 0; p < passes; p++) await first.forward(canvas);
        first.release();
        assert.equal((await model.begin(layout, 'doc')).contextReused, reused, `every ${every}, ${passes} passes`);
      } finally {
        await model.dispose();
      }
    }
  });
});
