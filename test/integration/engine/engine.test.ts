/**
 * The engine against a real model folder: the bundled `models/dllm-code-tiny/` (or the folder in
 * DLLM_MODEL_DIR). Skipped, with a message, only when the folder does not exist yet.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { InfillInput, InfillProgress, LoadedEngine } from '../../../src/engine/api';
import { engineFrom, loadEngine } from '../../../src/engine/engine';
import { ModelLoadError } from '../../../src/modelFolder/errors';
import { bundledModelDir } from '../../../src/modelFolder/folder';
import { loadParts } from '../../../src/engine/model/load';
import { type ModelManifest, readManifest } from '../../../src/modelFolder/manifest';
import { bannedTokens, languageToken } from '../../../src/engine/model/vocabulary';
import { type CanvasModel, type SequenceLayout, canvasOffset, contextTokens } from '../../../src/engine/runners/model';
import type { InfillStats, SamplerOptions } from '../../../src/protocol/protocol';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const modelDir = process.env.DLLM_MODEL_DIR || bundledModelDir(repoRoot);
const haveModel = fs.existsSync(modelDir);

const python: InfillInput = {
  prefix: 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n    if n < 2:\n        return n\n    ',
  suffix: '\n\n\nprint(fibonacci(10))\n',
  language: 'python',
  maxTokens: 32,
  stepBudget: 32,
  sampler: { kind: 'saber' },
};

const typescript: InfillInput = {
  prefix: 'export function sum(values: number[]): number {\n  let total = 0;\n  for (const v of values) {\n    ',
  suffix: '\n  }\n  return total;\n}\n',
  language: 'typescript',
  maxTokens: 32,
  stepBudget: 16,
  sampler: { kind: 'saber' },
};

function assertSaneStats(s: InfillStats, input: InfillInput) {
  assert.ok(s.forwardPasses >= 1 && s.forwardPasses <= input.stepBudget, `forwardPasses ${s.forwardPasses}`);
  assert.equal(s.canvasTokens, input.maxTokens);
  assert.ok(s.tokens >= 0 && s.tokens <= s.canvasTokens, `tokens ${s.tokens}`);
  assert.ok(s.promptTokens > 0);
  assert.ok(s.tokensPerForward > 0);
  assert.ok(s.remasked >= 0);
  assert.equal(s.device, 'cpu');
  for (const k of ['tokenizeMs', 'encodeMs', 'denoiseMs', 'totalMs'] as const) assert.ok(Number.isFinite(s[k]) && s[k] >= 0, `${k} ${s[k]}`);
  assert.ok(s.totalMs >= s.denoiseMs);
}

describe('engine (real model)', function () {
  let engine: LoadedEngine;

  before(async function () {
    if (!haveModel) {
      console.warn(`      model folder ${modelDir} not present: skipping`);
      this.skip();
    }
    engine = await loadEngine({ modelDir, device: 'cpu' });
  });
  after(async () => engine?.dispose());

  it('reports the model as its manifest states it, on CPU', () => {
    const m = readManifest(modelDir);
    assert.equal(engine.model.name, m.name);
    assert.equal(engine.model.contract, m.contract);
    assert.equal(engine.model.vocabSize, m.vocabSize);
    assert.equal(engine.model.maxCanvasTokens, m.maxCanvasTokens);
    assert.equal(engine.model.path, path.resolve(modelDir));
    assert.deepEqual([engine.device.provider, engine.device.kind], ['cpu', 'cpu']);
    assert.ok((engine.device.threads ?? 0) >= 1);
    assert.deepEqual(engine.warnings, []);
  });

  /** The answer is consistent with itself: text iff tokens, no special token spelled out. */
  function assertConsistent(out: { text: string; finishReason: string; stats: InfillStats }) {
    assert.ok(out.finishReason === 'stop' || out.finishReason === 'length', out.finishReason);
    assert.equal(out.text === '', out.stats.tokens === 0, `text ${JSON.stringify(out.text)} from ${out.stats.tokens} tokens`);
    assert.ok(!/<\|[a-z_:0-9]+\|>/.test(out.text), `special token in ${JSON.stringify(out.text)}`);
  }

  it('completes a Python snippet', async () => {
    const out = await engine.infill(python);
    assertConsistent(out);
    assertSaneStats(out.stats, python);
  });

  it("answers exactly what the model's own predictions spell (lowConfidence, one commit per pass)", async () => {
    for (const input of [python, { ...typescript, maxTokens: 16 }]) {
      const out = await engine.infill({ ...input, sampler: { kind: 'lowConfidence' }, stepBudget: input.maxTokens });
      assertConsistent(out);
      assert.equal(out.text, await referenceMiddle(input));
    }
  });

  it('completes a TypeScript snippet within a smaller budget', async () => {
    const out = await engine.infill(typescript);
    assertConsistent(out);
    assertSaneStats(out.stats, typescript);
  });

  /**
   * An independent, plain re-statement of the lowConfidence sampler with steps = canvas: every
   * pass commits the single most confident masked position before the first committed pad; the
   * model is shown pads after it. The engine must give exactly this text.
   */
  async function referenceMiddle(input: InfillInput): Promise<string> {
    const parts = await loadParts({ modelDir, device: 'cpu' });
    try {
      const m = parts.manifest;
      const { mask, pad, bos, eos } = m.specialTokens;
      const end = new Set([pad, eos]);
      const banned = bannedTokens(m, parts.tokenizer);
      const lang = languageToken(m, input.language);
      const n = input.maxTokens;
      const prefix = parts.tokenizer.encode(input.prefix);
      const suffix = parts.tokenizer.encode(input.suffix);
      const layout = { head: [bos!, ...(lang === undefined ? [] : [lang])], prefix, canvasLength: n, suffix, tail: [eos!] };
      const pass = await parts.model.begin(layout);
      const v = m.vocabSize;
      const ids = new Array<number>(n).fill(mask);
      const firstEnd = () => ids.findIndex((t) => end.has(t));
      for (let step = 0; step < n; step++) {
        const stop = firstEnd() < 0 ? n : firstEnd();
        const open = [...Array(stop).keys()].filter((i) => ids[i] === mask);
        if (open.length === 0) break;
        const shown = Int32Array.from(ids, (t, i) => (firstEnd() >= 0 && i > firstEnd() ? pad : t));
        const logits = await pass.forward(shown);
        let best = { i: -1, tok: -1, p: -1 };
        for (const i of open) {
          let max = -Infinity;
          let arg = -1;
          for (let t = 0; t < v; t++) {
            if (!banned[t] && logits[i * v + t]! > max) {
              max = logits[i * v + t]!;
              arg = t;
            }
          }
          let sum = 0;
          for (let t = 0; t < v; t++) if (!banned[t]) sum += Math.exp(logits[i * v + t]! - max);
          if (1 / sum > best.p) best = { i, tok: arg, p: 1 / sum };
        }
        ids[best.i] = best.tok;
      }
      pass.release();
      const stop = firstEnd() < 0 ? n : firstEnd();
      return parts.tokenizer.decode(ids.slice(0, stop));
    } finally {
      await parts.model.dispose();
      await parts.scorer?.dispose();
    }
  }

  it('repeats itself exactly for the same seed (argmax and sampled)', async () => {
    for (const sampler of [{ kind: 'saber' }, { kind: 'saber', temperature: 0.8, seed: 7 }, { kind: 'saber', remask: 'onDrop' }] as SamplerOptions[]) {
      const a = await engine.infill({ ...python, sampler });
      const b = await engine.infill({ ...python, sampler });
      assert.equal(a.text, b.text, JSON.stringify(sampler));
      assert.equal(a.stats.forwardPasses, b.stats.forwardPasses);
      assert.equal(a.stats.remasked, b.stats.remasked);
    }
  });

  it("lays out the sequence exactly as the model's PyTorch reference and reproduces its logits", async function () {
    const fixturePath = path.join(repoRoot, 'test', 'fixtures', 'model', 'shipped-example.json');
    if (process.env.DLLM_MODEL_DIR || !fs.existsSync(fixturePath)) this.skip(); // the fixture belongs to the bundled model
    const fx = JSON.parse(fs.readFileSync(fixturePath, 'utf8')) as {
      prefix: string;
      suffix: string;
      language: string;
      contextIds: number[];
      contextPositions: number[];
      canvasIds: number[];
      canvasPositions: number[];
      top5: number[][];
      top5Logits: number[][];
    };
    const parts = await loadParts({ modelDir, device: 'cpu' });
    const layouts: SequenceLayout[] = [];
    const spy: CanvasModel = { vocabSize: parts.model.vocabSize, dispose: () => parts.model.dispose(), begin: (l) => (layouts.push(l), parts.model.begin(l)) };
    const e = engineFrom({ ...parts, model: spy });
    try {
      await e.infill({ prefix: fx.prefix, suffix: fx.suffix, language: fx.language, maxTokens: fx.canvasIds.length, stepBudget: 1, sampler: { kind: 'saber' } });
      const layout = layouts[0]!;
      assert.deepEqual(contextTokens(layout), { ids: fx.contextIds, positions: fx.contextPositions });
      assert.deepEqual(
        Array.from({ length: layout.canvasLength }, (_, j) => canvasOffset(layout) + j),
        fx.canvasPositions,
      );
      const pass = await parts.model.begin(layout);
      const logits = await pass.forward(Int32Array.from(fx.canvasIds));
      pass.release();
      const v = parts.model.vocabSize;
      fx.top5.forEach((ids, i) => ids.forEach((id, j) => assert.ok(Math.abs(logits[i * v + id]! - fx.top5Logits[i]![j]!) <= 1e-3, `position ${i}, token ${id}`)));
    } finally {
      await e.dispose();
    }
  });

  it('scoring on onnxruntime gives the same completions as scoring in JavaScript', async () => {
    const parts = await loadParts({ modelDir, device: 'cpu' });
    assert.ok(parts.scorer, 'the scoring graph loads');
    const withOnnx = engineFrom(parts);
    const withJs = engineFrom({ ...parts, scorer: undefined });
    try {
      for (const sampler of [{ kind: 'saber' }, { kind: 'lowConfidence' }] as SamplerOptions[]) {
        for (const input of [python, typescript]) {
          const a = await withOnnx.infill({ ...input, sampler });
          const b = await withJs.infill({ ...input, sampler });
          assert.equal(a.text, b.text, JSON.stringify(sampler));
          assert.equal(a.stats.forwardPasses, b.stats.forwardPasses);
        }
      }
    } finally {
      await withOnnx.dispose();
    }
  });

  it('every sampler finishes within its budget', async () => {
    const samplers: SamplerOptions[] = [{ kind: 'saber' }, { kind: 'saber', remask: 'off' }, { kind: 'lowConfidence' }, { kind: 'threshold' }];
    for (const sampler of samplers) {
      for (const stepBudget of [1, 4, 32]) {
        const input = { ...typescript, sampler, stepBudget };
        const out = await engine.infill(input);
        assert.notEqual(out.finishReason, 'cancelled');
        assertSaneStats(out.stats, input);
      }
    }
    const low = await engine.infill({ ...python, maxTokens: 16, stepBudget: 16, sampler: { kind: 'lowConfidence' } });
    assert.equal(low.stats.remasked, 0);
  });

  it('reports progress every pass and stops when cancelled', async () => {
    const seen: InfillProgress[] = [];
    let cancel = false;
    const out = await engine.infill({ ...python, sampler: { kind: 'lowConfidence' } }, {
      isCancelled: () => cancel,
      onProgress: (p) => {
        seen.push(p);
        cancel = true;
      },
    });
    assert.equal(out.finishReason, 'cancelled');
    assert.equal(out.stats.forwardPasses, 1);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.committed, 1);
    assert.equal(seen[0]!.canvasTokens, python.maxTokens);
  });

  it('handles empty context, CRLF documents and a huge document', async () => {
    const empty = await engine.infill({ ...python, prefix: '', suffix: '' });
    assert.notEqual(empty.finishReason, 'cancelled');
    const crlf = await engine.infill({ ...python, prefix: python.prefix.replace(/\n/g, '\r\n'), suffix: python.suffix.replace(/\n/g, '\r\n') });
    assert.ok(!crlf.text.includes('\r'), `a CR in ${JSON.stringify(crlf.text)}: completions are LF only, whatever the input`);
    const huge = await engine.infill({ ...python, prefix: 'x = 1\n'.repeat(200_000) + python.prefix });
    assert.ok(huge.stats.promptTokens <= engine.model.maxContextTokens);
  });
});

/** Links the model's files into `dir` (paths in a manifest must stay inside its folder); returns their names. */
function linkFiles(m: ModelManifest, dir: string): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [key, file] of Object.entries(m.files) as [string, string | undefined][]) {
    if (file === undefined) continue;
    names[key] = path.basename(file);
    fs.symlinkSync(file, path.join(dir, names[key]));
  }
  return names;
}

describe('engine (real model): load failures', function () {
  before(function () {
    if (!haveModel) this.skip();
  });

  it('a graph that does not match its contract fails with the file and the reason', async () => {
    const m = readManifest(modelDir);
    if (m.contract !== 'split') return;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-bad-model-'));
    try {
      const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'dllm.json'), 'utf8')) as Record<string, unknown>;
      // The context graph where the denoise graph belongs.
      const files = linkFiles(m, tmp);
      json.files = { ...files, denoise: files.context };
      fs.writeFileSync(path.join(tmp, 'dllm.json'), JSON.stringify(json));
      await assert.rejects(loadEngine({ modelDir: tmp, device: 'cpu' }), (e: unknown) => {
        assert.ok(e instanceof ModelLoadError);
        assert.equal(e.path, path.join(tmp, files.context!)); // linkFiles names every file of the manifest
        assert.match(e.reason, /does not match the contract/);
        return true;
      });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a manifest whose vocabSize or cache shape disagrees with the graphs fails clearly', async () => {
    const m = readManifest(modelDir);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-bad-model-'));
    const graph = path.join(tmp, path.basename(m.contract === 'split' ? m.files.context : m.files.model));
    try {
      const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'dllm.json'), 'utf8')) as Record<string, unknown>;
      json.files = linkFiles(m, tmp);
      json.vocabSize = m.vocabSize + 1;
      if (m.contract === 'split') json.kvCache = { ...m.kvCache, layers: m.kvCache.layers + 1 };
      fs.writeFileSync(path.join(tmp, 'dllm.json'), JSON.stringify(json));
      await assert.rejects(loadEngine({ modelDir: tmp, device: 'cpu' }), (e: unknown) => {
        assert.ok(e instanceof ModelLoadError, String(e));
        assert.equal(e.path, graph);
        assert.match(e.reason, m.contract === 'split' ? /"keys" has shape/ : /"logits" has shape/);
        return true;
      });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("'gpu' without a usable GPU falls back to CPU and says why", async () => {
    const e = await loadEngine({ modelDir, device: 'gpu' });
    try {
      if (e.device.kind === 'cpu') {
        assert.equal(e.warnings.length, 1);
        assert.match(e.warnings[0]!, /using CPU/);
      } else {
        assert.notEqual(e.device.provider, 'cpu');
      }
      const out = await e.infill({ ...python, maxTokens: 8, stepBudget: 4 });
      assert.ok(out.stats.forwardPasses <= 4);
    } finally {
      await e.dispose();
    }
  });
});
