/**
 * The engine with a `causalSuffixFirst` split model: a tiny random one, exported at test time by
 * models/train/dllm_train/export/export.py (causal_fixture.py), checked against its PyTorch reference: the context
 * order and positions, the context keys and values, and the logits of the first denoise pass; then
 * loaded by the real inference child. Skipped, with a message, when /usr/bin/python3 has no torch.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { InfillInput } from '../../../src/engine/api';
import { engineFrom } from '../../../src/engine/engine';
import { ContextCache, joinTokens } from '../../../src/engine/contextCache';
import { loadParts } from '../../../src/engine/model/load';
import { type CanvasModel, type KvBlock, type SequenceLayout, canvasOffset, contextTokens } from '../../../src/engine/runners/model';
import type { ContextKv, SplitModel } from '../../../src/engine/runners/split';
import { assertWellFormed, infillParams, serverModule, startHarness, type Harness } from '../server/harness';

const PYTHON = '/usr/bin/python3';
const FIXTURE_SCRIPT = path.join(__dirname, 'causal_fixture.py');
/** models/train: the fixture imports the pipeline's package (dllm_train) from there. */
const TRAIN_DIR = path.join(__dirname, '..', '..', '..', 'models', 'train');

/** The requests PyTorch computes the reference for; canvas = maxTokens. */
const REQUESTS: InfillInput[] = [
  { prefix: 'def add(a, b):\n    return ', suffix: '\n\n\nprint(add(1, 2))\n', language: 'python', maxTokens: 8, stepBudget: 1, sampler: { kind: 'lowConfidence' } },
  { prefix: 'export function clamp(x: number): number {\n  ', suffix: '\n}\n', language: 'typescript', maxTokens: 5, stepBudget: 1, sampler: { kind: 'lowConfidence' } },
  // A language the model has no token for: the head ends with `other`.
  { prefix: 'SELECT ', suffix: ' FROM t;', language: 'sql', maxTokens: 3, stepBudget: 1, sampler: { kind: 'lowConfidence' } },
];

/** Computed by PyTorch too, and laid out by hand: unused positions between canvas and suffix. */
const GAP_REQUEST = { prefix: 'for i in range(3):\n    ', suffix: '\nprint(i)\n', language: 'python', canvas: 6, gap: 20 };

interface ExpectedCase {
  contextIds: number[];
  contextPositions: number[];
  canvasPositions: number[];
  keys: string;
  values: string;
  logits: string;
}

function hasTorch(): boolean {
  return fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

const floats = (b64: string) => new Float32Array(Uint8Array.from(Buffer.from(b64, 'base64')).buffer);

/** Elementwise agreement up to float rounding, relative to the largest expected magnitude. */
function assertClose(got: ArrayLike<number>, want: Float32Array, what: string, rtol = 3e-5) {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 0;
  for (const w of want) scale = Math.max(scale, Math.abs(w));
  const tol = 1e-6 + rtol * scale;
  for (let i = 0; i < want.length; i++) {
    const diff = Math.abs(got[i]! - want[i]!);
    assert.ok(diff <= tol, `${what}[${i}]: ${got[i]} vs PyTorch ${want[i]} (|diff| ${diff} > ${tol})`);
  }
}

/** A context graph's keys and values as the engine holds them. */
const block = (kv: ContextKv): KvBlock => ({ keys: kv.keys.data as Float32Array, values: kv.values.data as Float32Array, tokens: kv.keys.dims[3]! });

describe('engine with a causalSuffixFirst model (tiny, random, exported at test time)', function () {
  let work: string;
  let modelDir: string;
  let expected: ExpectedCase[];

  before(function () {
    if (!hasTorch()) {
      console.warn(`      ${PYTHON} has no torch: skipping the causal-context model test (it exports a model with dllm_train.export.export)`);
      this.skip();
    }
    this.timeout(180_000);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-causal-model-'));
    const requests = [...REQUESTS.map((r) => ({ prefix: r.prefix, suffix: r.suffix, language: r.language, canvas: r.maxTokens })), GAP_REQUEST];
    const run = spawnSync(PYTHON, [FIXTURE_SCRIPT, work, JSON.stringify(requests)], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: TRAIN_DIR } });
    assert.equal(run.status, 0, `${FIXTURE_SCRIPT} failed:\n${run.stderr}`);
    modelDir = path.join(work, 'model');
    expected = (JSON.parse(fs.readFileSync(path.join(work, 'expected.json'), 'utf8')) as { cases: ExpectedCase[] }).cases;
  });
  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("lays out each request as layout.py does and reproduces PyTorch's context keys/values and first-pass logits", async () => {
    const parts = await loadParts({ modelDir, device: 'cpu', threads: 1 });
    assert.ok(parts.manifest.contract === 'split');
    assert.equal(parts.manifest.contextAttention, 'causalSuffixFirst');
    const split = parts.model as SplitModel;
    assert.equal(split.contextAttention, 'causalSuffixFirst');
    // Watch the engine: the layout it builds and the logits of its first pass.
    const seen: { layout: SequenceLayout; canvas?: Int32Array; logits?: Float32Array }[] = [];
    const watched: CanvasModel = {
      vocabSize: split.vocabSize,
      dispose: () => split.dispose(),
      async begin(layout) {
        const record: (typeof seen)[number] = { layout };
        seen.push(record);
        const pass = await split.begin(layout);
        return {
          encodeMs: pass.encodeMs,
          async forward(canvas) {
            const logits = await pass.forward(canvas);
            if (record.logits === undefined) Object.assign(record, { canvas: Int32Array.from(canvas), logits: Float32Array.from(logits) });
            return logits;
          },
          release: () => pass.release(),
        };
      },
    };
    const engine = engineFrom({ ...parts, model: watched });
    try {
      for (const [i, request] of REQUESTS.entries()) {
        const want = expected[i]!;
        const out = await engine.infill(request);
        assert.equal(out.stats.forwardPasses, 1);
        const { layout, canvas, logits } = seen[i]!;
        const context = contextTokens(layout, 'causalSuffixFirst');
        assert.deepEqual(context, { ids: want.contextIds, positions: want.contextPositions }, `request ${i}: context order and positions`);
        assert.deepEqual(
          Array.from({ length: layout.canvasLength }, (_, j) => canvasOffset(layout) + j),
          want.canvasPositions,
        );
        assert.ok(canvas!.every((t) => t === parts.manifest.specialTokens.mask), 'the first pass sees an all-mask canvas');
        assertClose(logits!, floats(want.logits), `request ${i}: logits`);

        const kv = await split.encodeContext(context.ids, context.positions);
        assertClose(kv.keys.data as Float32Array, floats(want.keys), `request ${i}: keys`);
        assertClose(kv.values.data as Float32Array, floats(want.values), `request ${i}: values`);

        // The same context in two passes, the second given the first's K/V as its past (what a
        // keystroke cache will do): the same keys and values as one pass.
        const at = context.ids.length - 3;
        const first: ContextKv = await split.encodeContext(context.ids.slice(0, at), context.positions.slice(0, at));
        const rest = await split.encodeContext(context.ids.slice(at), context.positions.slice(at), first);
        const joined = joinTokens(block(first), block(rest), split);
        assertClose(joined.keys, floats(want.keys), `request ${i}: keys in two passes`);
        assertClose(joined.values, floats(want.values), `request ${i}: values in two passes`);
      }
    } finally {
      await engine.dispose();
    }
  });

  it('places the suffix after a gap as layout.py does, with PyTorch\'s logits', async () => {
    const parts = await loadParts({ modelDir, device: 'cpu', threads: 1 });
    const split = parts.model as SplitModel;
    try {
      assert.ok(parts.manifest.contract === 'split');
      assert.equal(parts.manifest.maxSuffixGap, 64);
      const { bos, eos, mask } = parts.manifest.specialTokens;
      const want = expected[REQUESTS.length]!;
      const layout: SequenceLayout = {
        head: [bos!, parts.manifest.languageTokens!.python!],
        prefix: parts.tokenizer.encode(GAP_REQUEST.prefix),
        canvasLength: GAP_REQUEST.canvas,
        suffixGap: GAP_REQUEST.gap,
        suffix: parts.tokenizer.encode(GAP_REQUEST.suffix),
        tail: [eos!],
      };
      assert.deepEqual(contextTokens(layout, 'causalSuffixFirst'), { ids: want.contextIds, positions: want.contextPositions });
      const pass = await split.begin(layout);
      assertClose(await pass.forward(new Int32Array(GAP_REQUEST.canvas).fill(mask)), floats(want.logits), 'logits with a gap');
      pass.release();
    } finally {
      await split.dispose();
    }
  });

  it('while typing, reuses each document\'s context and gives the canvas logits of recomputing it (to 1e-4)', async () => {
    const parts = await loadParts({ modelDir, device: 'cpu', threads: 1 });
    const split = parts.model as SplitModel;
    const cache = new ContextCache(split, (text) => parts.tokenizer.encode(text), { maxContextTokens: parts.manifest.maxContextTokens, maxSuffixGap: 64, maxBytes: 64 << 20 });
    const { bos, eos, mask } = parts.manifest.specialTokens;
    const head = [bos!, parts.manifest.languageTokens!.python!];
    // A real file, long enough to fill the window, typed into near its end.
    const source = fs.readFileSync(path.join(TRAIN_DIR, 'dllm_train', 'data', 'examples.py'), 'utf8');
    const cursor = source.indexOf('def pack_rows');
    const typed = 'def count_rows(batch: dict) -> int:\n    return len(batch["ids"])\n\n\n';
    let previous = '';
    let reusedRequests = 0;
    let encodedWhenReused = 0;
    try {
      for (let i = 0; i <= typed.length; i += 3) {
        const prefix = source.slice(Math.max(0, cursor - 6000), cursor) + typed.slice(0, i);
        const suffix = source.slice(cursor, cursor + 2000);
        const prepared = await cache.prepare('file:///data.py', { head, tail: [eos!], prefix, suffix, canvasLength: 16 });
        const canvas = new Int32Array(16).fill(mask);
        const reused = split.beginWith(prepared.layout, prepared.kv, prepared.encodeMs);
        const recomputed = await split.begin(prepared.layout);
        const got = await reused.forward(canvas);
        const want = await recomputed.forward(canvas);
        let worst = 0;
        for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(got[j]! - want[j]!));
        assert.ok(worst <= 1e-4, `request ${i}: canvas logits differ by ${worst}`);
        reused.release();
        recomputed.release();
        if (prepared.reused > 0) {
          reusedRequests++;
          encodedWhenReused += prepared.encoded;
          // At most what follows the start of the line the last request was typed on.
          const since = prefix.slice(previous.lastIndexOf('\n') + 1);
          assert.ok(prepared.encoded <= parts.tokenizer.encode(since).length, `request ${i}: ${prepared.encoded} tokens encoded`);
        }
        previous = prefix;
      }
      const requests = Math.floor(typed.length / 3) + 1;
      assert.ok(reusedRequests >= requests - 4, `${reusedRequests} of ${requests} requests reused their document's context`);
      assert.ok(encodedWhenReused / reusedRequests < 20, `${encodedWhenReused / reusedRequests} tokens encoded per reusing request`);
    } finally {
      await split.dispose();
    }
  });

  it('reports reused context tokens in its stats when a request names its document, and forgets it', async () => {
    const parts = await loadParts({ modelDir, device: 'cpu', threads: 1 });
    const engine = engineFrom(parts);
    try {
      const at = (prefix: string, document?: string): InfillInput => ({ ...REQUESTS[0]!, prefix, document });
      const first = await engine.infill(at('def add(a, b):\n    return ', 'file:///a.py'));
      assert.equal(first.stats.contextReused, 0);
      assert.equal(first.stats.contextEncoded, first.stats.promptTokens);
      const second = await engine.infill(at('def add(a, b):\n    return a', 'file:///a.py'));
      assert.ok(second.stats.contextReused > 0, JSON.stringify(second.stats));
      assert.equal(second.stats.contextEncoded, parts.tokenizer.encode('    return a').length, 'the line typed on is encoded again');
      engine.forgetDocument('file:///a.py');
      const third = await engine.infill(at('def add(a, b):\n    return a ', 'file:///a.py'));
      assert.equal(third.stats.contextReused, 0);
      const anonymous = await engine.infill(at('def add(a, b):\n    return a '));
      assert.equal(anonymous.stats.contextReused, 0);
    } finally {
      await engine.dispose();
    }
  });

  describe('in the real inference child', function () {
    let h: Harness;
    before(async function () {
      assert.ok(fs.existsSync(serverModule), `${serverModule} is missing: run npm run build (npm run test:integration does)`);
      h = await startHarness();
    });
    after(() => h?.client.stop());

    it('loads the model and answers an infill', async () => {
      const init = await h.client.initialize({ device: 'cpu', modelDir, clientName: 'integration tests' });
      assert.equal(init.model.name, 'causal-test');
      assert.equal(init.model.path, modelDir);
      assert.equal(init.model.contract, 'split');
      const params = infillParams({ maxTokens: 8, stepBudget: 4 });
      assertWellFormed(await h.client.infill(params), params);
    });

    it("keeps a document's context between requests until the client says it closed", async () => {
      const params = (prefix: string) => infillParams({ prefix, maxTokens: 8, stepBudget: 4, document: 'file:///typed.py' });
      assert.equal((await h.client.infill(params('def f(x):\n    return x'))).stats.contextReused, 0);
      assert.ok((await h.client.infill(params('def f(x):\n    return x +'))).stats.contextReused > 0);
      h.client.documentClosed('file:///typed.py');
      assert.equal((await h.client.infill(params('def f(x):\n    return x + 1'))).stats.contextReused, 0);
    });
  });
});
