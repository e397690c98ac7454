/**
 * models/train/dllm_train/evaluation/decode.py against the engine: the same scripted fake model run through the
 * engine's `denoise()` and `Engine.infill`, and through the Python port, must give identical
 * canvases, texts, forward-pass and re-mask counts; windowing with the real tokenizer must give
 * the same ids. The Python side is test/model-pipeline/evaluation/test_decode.py (`parity` mode), which
 * holds the twin of FakeModel below.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InfillInput } from '../../../src/engine/api';
import { engineFrom } from '../../../src/engine/engine';
import { parseManifest } from '../../../src/modelFolder/manifest';
import type { CanvasModel, SequenceLayout } from '../../../src/engine/runners/model';
import { denoise } from '../../../src/engine/sampler/denoise';
import { buildPolicy, withDefaults } from '../../../src/engine/sampler/policies';
import { mulberry32 } from '../../../src/engine/sampler/random';
import { loadTokenizer, type TextTokenizer } from '../../../src/engine/tokenizer';
import { windowTokens } from '../../../src/engine/window';
import type { SamplerOptions } from '../../../src/protocol/protocol';

const root = path.resolve(__dirname, '..', '..', '..');
const modelDir = path.join(root, 'models', 'dllm-code-tiny');
const pythonScript = path.join(root, 'test', 'model-pipeline', 'evaluation', 'test_decode.py');
const python = process.env.PYTHON ?? '/usr/bin/python3';

/** 32-bit hash step (the Python twin multiplies and masks). */
function mix(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function fold(seed: number, xs: readonly number[]): number {
  let h = seed >>> 0;
  for (const x of xs) h = mix(h, x);
  return h;
}

interface FakeSpec {
  seed: number;
  vocab: number;
  table: number[];
  mask: number;
  pad: number;
  /** -1: none. */
  eos: number;
  hotBanned: number[];
}

/**
 * Deterministic logits from the canvas, the position and a context fingerprint: two favourite
 * tokens per position (one moves with the neighbours and, for half the positions, with the
 * masked count, so saber re-masks; the other half stay put, giving drops of exactly 0), an end
 * token that gets strong from a chosen position on (never for one context in five: answers cut
 * at the canvas length), a banned token on top, and a third of the positions sharing one row
 * (ties in confidence). Values are multiples of 1/2: exact in float32 on both sides.
 */
function fakeLogits(f: FakeSpec, view: Int32Array, ctx: number): Float32Array {
  const n = view.length;
  const v = f.vocab;
  const out = new Float32Array(n * v);
  let masks = 0;
  for (const t of view) if (t === f.mask) masks++;
  const endAt = mix(f.seed ^ ctx, 7) % (n + 3);
  const t = f.table.length;
  const noEnd = mix(f.seed ^ ctx, 9) % 5 === 0;
  for (let j = 0; j < n; j++) {
    const hp = mix(mix(f.seed, ctx), j + 1);
    const h0 = mix(hp, 10) % 3 === 0 ? mix(f.seed, ctx) : hp;
    const fixed = mix(hp, 9) % 2 === 0;
    const left = j > 0 ? view[j - 1]! : 65535;
    const right = j + 1 < n ? view[j + 1]! : 65534;
    const h1 = mix(mix(mix(h0, left), right), fixed ? 0 : masks);
    const base = j * v;
    out[base + f.table[mix(h0, 1) % t]!]! += (mix(h0, 3) % 16) / 2;
    out[base + f.table[mix(h1, 2) % t]!]! += (mix(h1, 4) % 16) / 2;
    const end = f.eos >= 0 && mix(h0, 5) % 4 === 0 ? f.eos : f.pad;
    out[base + end]! += noEnd ? -8 : (j >= endAt ? 4 : 0) + (mix(h1, 6) % 12) / 2;
    if (f.hotBanned.length > 0) out[base + f.hotBanned[mix(h0, 8) % f.hotBanned.length]!]! += 9;
  }
  return out;
}

const SAMPLERS: SamplerOptions[] = [
  { kind: 'saber' },
  { kind: 'saber', remask: 'onDrop' },
  { kind: 'saber', remask: 'off' },
  { kind: 'saber', minPerStep: 1, remaskDivisor: 2 },
  { kind: 'saber', minPerStep: 3, remaskDivisor: 1.5 },
  { kind: 'lowConfidence' },
  { kind: 'threshold' },
  { kind: 'threshold', threshold: 0.3 },
];

interface SamplerCase extends FakeSpec {
  canvasLength: number;
  steps: number;
  sampler: SamplerOptions;
  banned: number[];
  endIds: number[];
  tailFill: number | null;
  endAtFrontier: boolean;
  ctx: number;
}

function samplerCases(): SamplerCase[] {
  const cases: SamplerCase[] = [];
  let k = 0;
  for (const sampler of SAMPLERS) {
    for (const n of [1, 4, 8, 16, 32, 64]) {
      for (const steps of [1, 2, 5, n, 2 * n]) {
        const eos = k % 3 === 0 ? -1 : 3;
        cases.push({
          seed: mix(k, 11),
          vocab: 40,
          table: Array.from({ length: 36 }, (_, i) => i + 4),
          mask: 0,
          pad: 1,
          eos,
          hotBanned: [0, 2],
          canvasLength: n,
          steps,
          sampler,
          banned: [0, 2, 5],
          endIds: eos < 0 ? [1] : [1, 3],
          tailFill: k % 4 === 3 ? null : 1,
          endAtFrontier: k % 5 === 4,
          ctx: mix(k, 99),
        });
        k++;
      }
    }
  }
  return cases;
}

async function runSamplerCase(c: SamplerCase) {
  const banned = new Uint8Array(c.vocab);
  for (const b of c.banned) banned[b] = 1;
  const result = await denoise(
    (canvas) => Promise.resolve(fakeLogits(c, canvas, c.ctx)),
    {
      canvasLength: c.canvasLength,
      maskId: c.mask,
      endIds: new Set(c.endIds),
      tailFill: c.tailFill ?? undefined,
      endAtFrontier: c.endAtFrontier,
      vocabSize: c.vocab,
      banned,
      temperature: 0,
      random: mulberry32(0),
    },
    buildPolicy(withDefaults(c.sampler), c.steps),
  );
  const cv = result.canvas;
  return {
    canvas: { ids: [...cv.ids], committed: [...cv.committed], commitPass: [...cv.commitPass], commitConfidence: [...cv.commitConfidence] },
    forwardPasses: result.forwardPasses,
    commits: result.commits,
    remasked: result.remasked,
  };
}

/** Text with what windowing must get right: tabs, astral characters, a lone surrogate, special-token spellings (LF, as requests are). */
function codeText(seed: number, lines: number): string {
  const r = mulberry32(seed);
  const words = ['def', 'return', 'value', 'x', '=', '(', ')', ':', '+', '1', '42', '"s"', '😀', '<|pad|>', 'naïve', '\t', '    ', '\ud800', '中文', '🚀x'];
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = Math.floor(r() * 12);
    let line = '    '.repeat(Math.floor(r() * 3));
    for (let w = 0; w < n; w++) line += words[Math.floor(r() * words.length)]! + (r() < 0.7 ? ' ' : '');
    out.push(`${line}\n`);
  }
  return out.join('');
}

const TEXTS: [string, string][] = [
  ['def add(a, b):\n    """Add two numbers."""\n    ', '\n\nprint(add(1, 2))\n'],
  [codeText(1, 900), codeText(2, 700)],
  ['', ''],
  ['x = 1\ny = 2\n', '\nz = 3\n'],
  ['a = [' + '1, '.repeat(4000), ']\n' + 'b'.repeat(9000)],
  [codeText(3, 40), ''],
];
const LANGUAGES = ['python', 'typescriptreact', 'haskell', undefined];

function engineCases(): InfillInput[] {
  const maxTokens = [1, 8, 16, 32, 64, 200];
  const steps = [1, 3, 8, 32, 100];
  return Array.from({ length: 40 }, (_, i) => ({
    prefix: TEXTS[i % TEXTS.length]![0],
    suffix: TEXTS[i % TEXTS.length]![1],
    language: LANGUAGES[i % LANGUAGES.length],
    maxTokens: maxTokens[i % maxTokens.length]!,
    stepBudget: steps[(i * 3) % steps.length]!,
    sampler: SAMPLERS[i % SAMPLERS.length]!,
  }));
}

/** The fake as an engine model: the context fingerprint comes from the layout the engine built. */
class FakeCanvasModel implements CanvasModel {
  layouts: SequenceLayout[] = [];
  constructor(
    readonly vocabSize: number,
    private readonly fake: FakeSpec,
  ) {}
  begin(layout: SequenceLayout) {
    this.layouts.push(layout);
    const ctx = mix(fold(0x1234, [...layout.head, ...layout.prefix, ...layout.suffix, ...layout.tail]), layout.head.length + layout.prefix.length);
    return Promise.resolve({ encodeMs: 0, forward: (canvas: Int32Array) => Promise.resolve(fakeLogits(this.fake, canvas, ctx)), release() {} });
  }
  async dispose() {}
}

interface WindowCase {
  prefix: string;
  suffix: string;
  budget: number;
  ids: number[];
}

function windowCases(): WindowCase[] {
  const r = mulberry32(5);
  const cases: WindowCase[] = [];
  const budgets = [0, 1, 7, 100, 445, 3000];
  TEXTS.forEach(([prefix, suffix], t) => {
    for (let k = 0; k < 3; k++) {
      const ids = Array.from({ length: 1 + Math.floor(r() * 30) }, () => 32 + Math.floor(r() * (r() < 0.5 ? 256 : 4064)));
      cases.push({ prefix, suffix, budget: budgets[(t + k) % budgets.length]!, ids });
    }
  });
  return cases;
}

describe('engine/decode parity with models/train/dllm_train/evaluation/decode.py', function () {
  this.timeout(180000);
  let tokenizer: TextTokenizer;
  const sampler = samplerCases();
  const engine = engineCases();
  const windows = windowCases();
  let fake: { seed: number; table: number[]; hotBanned: number[] };
  let py: { sampler: unknown[]; engine: unknown[]; engineRawText: string[]; window: unknown[] };

  before(function () {
    if (!fs.existsSync(python)) this.skip();
    tokenizer = loadTokenizer(path.join(modelDir, 'tokenizer.json'));
    const words = [...new Set(tokenizer.encode('def return self value = ( ) : if for in range len print x y 0 1 "a" \n    \n'))];
    const bytes = [0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0x0a, 0x0d].map((b) => 32 + b);
    fake = { seed: 77, table: [...words, ...bytes, 300, 1000, 2000, 4095], hotBanned: [0, 2, 5, 13, 20] };
    const run = spawnSync(python, [pythonScript, 'parity'], {
      input: JSON.stringify({ sampler, engine, window: windows, fake }),
      env: { ...process.env, PYTHONPATH: path.join(root, 'models', 'train') },
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      timeout: 170000,
    });
    if (run.status !== 0) throw new Error(`${python} ${pythonScript} parity failed (${run.status ?? run.signal}):\n${run.stderr}`);
    py = JSON.parse(run.stdout) as typeof py;
  });

  it('denoise(): same canvases, forward passes, commits and re-masks for every sampler, budget and canvas length', async () => {
    let remasked = 0;
    let multi = 0;
    let ended = 0;
    for (const [i, c] of sampler.entries()) {
      const ts = await runSamplerCase(c);
      assert.deepEqual(py.sampler[i], ts, `case ${i}: ${JSON.stringify({ ...c, table: undefined })}`);
      remasked += ts.remasked;
      if (ts.commits > ts.forwardPasses) multi++;
      if (ts.canvas.ids.some((t, j) => ts.canvas.committed[j] && c.endIds.includes(t))) ended++;
    }
    // The fixture exercises what it should: re-masks, several commits per pass, end tokens.
    assert.ok(remasked > 50, `remasked ${remasked}`);
    assert.ok(multi > sampler.length / 3, `multi ${multi}`);
    assert.ok(ended > sampler.length / 3, `ended ${ended}`);
  });

  it('Engine.infill: same layout, text, finish reason and counts with the real tokenizer and manifest', async () => {
    const manifest = parseManifest(JSON.parse(fs.readFileSync(path.join(modelDir, 'dllm.json'), 'utf8')), modelDir);
    const model = new FakeCanvasModel(manifest.vocabSize, { ...fake, vocab: manifest.vocabSize, mask: 0, pad: 1, eos: 3 });
    const eng = engineFrom({ manifest, tokenizer, model, device: { provider: 'cpu', kind: 'cpu' }, warnings: [] });
    const reasons = new Set<string>();
    let remasked = 0;
    for (const [i, c] of engine.entries()) {
      const out = await eng.infill(c);
      const layout = model.layouts[i]!;
      const ts = {
        text: out.text,
        finishReason: out.finishReason,
        forwardPasses: out.stats.forwardPasses,
        tokens: out.stats.tokens,
        remasked: out.stats.remasked,
        promptTokens: out.stats.promptTokens,
        layout: { head: layout.head, prefix: layout.prefix, suffix: layout.suffix, tail: layout.tail, canvasLength: layout.canvasLength },
      };
      assert.deepEqual(py.engine[i], ts, `case ${i}: ${JSON.stringify({ ...c, prefix: c.prefix.slice(-40), suffix: c.suffix.slice(0, 40) })}`);
      reasons.add(out.finishReason);
      remasked += out.stats.remasked;
    }
    assert.deepEqual([...reasons].sort(), ['length', 'stop']);
    assert.ok(remasked > 0);
    assert.ok(
      py.engineRawText.some((raw, i) => raw.endsWith('\uFFFD') && !(py.engine[i] as { text: string }).text.endsWith('\uFFFD')),
      'some answer cut at the canvas length loses a broken last character',
    );
  });

  it('windowing and tokenizer: same prefix/suffix ids and decoded text', () => {
    for (const [i, c] of windows.entries()) {
      const w = windowTokens(c.prefix, c.suffix, c.budget, (t) => tokenizer.encode(t));
      const ts = {
        prefixIds: w.prefixIds,
        suffixIds: w.suffixIds,
        droppedPrefix: w.droppedPrefix,
        droppedSuffix: w.droppedSuffix,
        encoded: tokenizer.encode(c.prefix),
        decoded: tokenizer.decode(c.ids),
      };
      assert.deepEqual(py.window[i], ts, `case ${i}: budget ${c.budget}`);
    }
  });
});
