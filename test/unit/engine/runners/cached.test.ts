/**
 * The cached mode of a converted model against its full graph, pass by pass, on tiny random
 * checkpoints of both families: the exact mode (refresh every pass, through the cached graph) and
 * refresh interval 1 give the full graph's canvas logits; with a longer interval, the refresh
 * passes do and the passes between drift; the load options pick the mode, and the model info says
 * which runs.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadParts } from '../../../../src/engine/model/load';
import { loadEngine } from '../../../../src/engine/engine';
import { CachedModel } from '../../../../src/engine/runners/cached';
import { FullModel } from '../../../../src/engine/runners/full';
import type { CanvasModel, SequenceLayout } from '../../../../src/engine/runners/model';
import { DREAM_SPEC, LLADA_SPEC, convertedTiny } from '../../convert/tinyCheckpoint';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-cached-runner-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));


const N = 6;
const layoutOf = (prefix: number[]): SequenceLayout => ({ head: [], prefix, canvasLength: N, suffix: [2, 17, 11], tail: [] });

/** The canvas logits of each pass while one more position is committed per pass (as a sampler would). */
async function passes(model: CanvasModel, layout: SequenceLayout, mask: number): Promise<Float32Array[]> {
  const pass = await model.begin(layout);
  const canvas = new Int32Array(N).fill(mask);
  const out: Float32Array[] = [];
  for (let p = 0; p < N; p++) {
    out.push(await pass.forward(canvas));
    canvas[(p * 4) % N] = 3 + p * 5;
  }
  pass.release();
  return out;
}

const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

async function open(dir: string, cachedRefreshEvery: number): Promise<CanvasModel> {
  return (await loadParts({ modelDir: dir, device: 'cpu', threads: 1, cachedRefreshEvery })).model;
}

describe('engine/runners/cached: the cached mode of a converted model', function () {
  this.timeout(60000);

  for (const spec of [DREAM_SPEC, LLADA_SPEC]) {
    for (const prefix of [[5, 9, 30], []]) {
      it(`${spec.family}${prefix.length === 0 ? ', canvas first' : ''}: refreshed every pass it is exact; every 3 passes, exact on refresh passes only`, async () => {
        const dir = await convertedTiny(tmp, spec);
        const mask = spec.vocab - 2;
        const layout = layoutOf(prefix);
        const full = new FullModel(await ort.InferenceSession.create(path.join(dir, 'model.onnx')), spec.vocab, spec.family === 'dream');
        const [exact, every1, every3] = await Promise.all([open(dir, 0), open(dir, 1), open(dir, 3)]);
        try {
          assert.ok(exact instanceof CachedModel && every1 instanceof CachedModel && every3 instanceof CachedModel);
          const want = await passes(full, layout, mask);
          const k0 = await passes(exact, layout, mask);
          const k1 = await passes(every1, layout, mask);
          const k3 = await passes(every3, layout, mask);
          want.forEach((w, p) => {
            assert.equal(k1[p]!.length, N * spec.vocab);
            assert.ok(maxDiff(k0[p]!, w) <= 1e-4, `exact, pass ${p}: ${maxDiff(k0[p]!, w)}`);
            assert.ok(maxDiff(k1[p]!, w) <= 1e-4, `k=1, pass ${p}: ${maxDiff(k1[p]!, w)}`);
            const drift = maxDiff(k3[p]!, w);
            if (p % 3 === 0) assert.ok(drift <= 1e-4, `k=3, refresh pass ${p}: ${drift}`);
            else assert.ok(drift > 1e-4, `k=3, pass ${p} between refreshes uses stale keys/values: ${drift}`);
          });
        } finally {
          await Promise.all([full.dispose(), exact.dispose(), every1.dispose(), every3.dispose()]);
        }
      });
    }
  }

  it('a folder with the two cached-mode graphs of an earlier conversion runs the full graph and says to convert again', async () => {
    const dir = await convertedTiny(tmp, LLADA_SPEC);
    const earlier = path.join(tmp, 'earlier');
    fs.cpSync(dir, earlier, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(earlier, 'dllm.json'), 'utf8')) as { files: Record<string, string> };
    const { cached, ...files } = manifest.files;
    assert.ok(cached, 'the converted folder has a cached-mode graph');
    fs.renameSync(path.join(earlier, cached), path.join(earlier, 'context.onnx'));
    fs.copyFileSync(path.join(earlier, 'context.onnx'), path.join(earlier, 'denoise.onnx'));
    manifest.files = { ...files, context: 'context.onnx', denoise: 'denoise.onnx' };
    fs.writeFileSync(path.join(earlier, 'dllm.json'), JSON.stringify(manifest));
    const parts = await loadParts({ modelDir: earlier, device: 'cpu', threads: 1, cachedRefreshEvery: 4 });
    try {
      assert.ok(parts.model instanceof FullModel);
      assert.ok(parts.warnings.some((w) => /converted by an earlier version.*convert it again/.test(w)), parts.warnings.join('; '));
    } finally {
      await parts.model.dispose();
    }
  });

  it('the model info says which mode runs', async () => {
    const dir = await convertedTiny(tmp, LLADA_SPEC);
    const cached = await loadEngine({ modelDir: dir, device: 'cpu', threads: 1, cachedRefreshEvery: 4 });
    const exact = await loadEngine({ modelDir: dir, device: 'cpu', threads: 1, cachedRefreshEvery: 0 });
    try {
      assert.equal(cached.model.cachedRefreshEvery, 4);
      assert.ok(!('cachedRefreshEvery' in exact.model));
    } finally {
      await Promise.all([cached.dispose(), exact.dispose()]);
    }
  });
});
