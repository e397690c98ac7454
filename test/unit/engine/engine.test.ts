import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { InfillInput, InfillProgress, LoadedEngine } from '../../../src/engine/api';
import { engineFrom } from '../../../src/engine/engine';
import { parseManifest, readManifest } from '../../../src/modelFolder/manifest';
import type { CanvasModel, SequenceLayout } from '../../../src/engine/runners/model';
import { loadTokenizer, type TextTokenizer } from '../../../src/engine/tokenizer';
import { maskGlyph } from '../../../src/protocol/protocol';
import { TINY_VOCAB, loadTinyTokenizer, logitFor, tempDir } from './fixtures';

const PAD = 1;
const bundledModelDir = path.join(__dirname, '../../../models/dllm-code-tiny');

/** A fake model that always predicts `middle` followed by pads, more confident to the left. */
class SpellingModel implements CanvasModel {
  layouts: SequenceLayout[] = [];
  passes = 0;
  constructor(
    private readonly middle: number[],
    readonly vocabSize = TINY_VOCAB,
  ) {}
  begin(layout: SequenceLayout) {
    this.layouts.push(layout);
    let released = false;
    return Promise.resolve({
      encodeMs: 0,
      forward: (canvas: Int32Array) => {
        assert.ok(!released);
        this.passes++;
        const v = this.vocabSize;
        const logits = new Float32Array(canvas.length * v);
        for (let j = 0; j < canvas.length; j++) logits[j * v + (this.middle[j] ?? PAD)] = logitFor(0.9 - j * 0.01, 200);
        return Promise.resolve(logits);
      },
      release: () => {
        released = true;
      },
    });
  }
  async dispose() {}
}

describe('engine/engine (fake model)', () => {
  let t: ReturnType<typeof tempDir>;
  let tokenizer: TextTokenizer;
  const manifest = () =>
    parseManifest(
      {
        format: 1,
        name: 'fake',
        contract: 'split',
        files: { tokenizer: 'tokenizer.json', context: 'c.onnx', denoise: 'd.onnx' },
        vocabSize: TINY_VOCAB,
        specialTokens: { mask: 0, pad: 1, bos: 2, eos: 3 },
        languageTokens: { python: 4, other: 5 },
        maxContextTokens: 64,
        maxCanvasTokens: 16,
        kvCache: { layers: 1, heads: 1, headDim: 4 },
      },
      t.dir,
    );
  const input = (over: Partial<InfillInput> = {}): InfillInput => ({
    prefix: 'def f(x):\n    ',
    suffix: '\n\nprint(f(1))\n',
    language: 'python',
    maxTokens: 12,
    stepBudget: 12,
    sampler: { kind: 'saber' },
    ...over,
  });
  let model: SpellingModel;
  let engine: LoadedEngine;

  before(() => {
    t = tempDir();
    tokenizer = loadTinyTokenizer(t.dir);
  });
  after(() => t.remove());
  beforeEach(() => {
    model = new SpellingModel(tokenizer.encode('return x'));
    engine = engineFrom({ manifest: manifest(), tokenizer, model, device: { provider: 'cpu', kind: 'cpu', threads: 2 }, warnings: [] });
  });

  it('fills the middle up to the pad, with sane stats', async () => {
    const out = await engine.infill(input());
    assert.equal(out.text, 'return x');
    assert.equal(out.finishReason, 'stop');
    const s = out.stats;
    assert.equal(s.tokens, tokenizer.encode('return x').length);
    assert.equal(s.canvasTokens, 12);
    assert.ok(s.forwardPasses >= 1 && s.forwardPasses <= 12);
    assert.equal(s.forwardPasses, model.passes);
    assert.ok(s.tokensPerForward > 0);
    assert.equal(s.device, 'cpu');
    assert.equal(s.promptTokens, 2 + tokenizer.encode(input().prefix).length + tokenizer.encode(input().suffix).length + 1);
    for (const k of ['tokenizeMs', 'encodeMs', 'denoiseMs', 'totalMs'] as const) assert.ok(s[k] >= 0, k);
    assert.equal(s.contextEncoded, s.promptTokens, 'a split model encodes its whole context');
    assert.equal(s.contextReused, 0);
  });

  it("keeps nothing for a request's document when the model cannot extend its context", async () => {
    for (let i = 0; i < 2; i++) {
      const out = await engine.infill(input({ document: 'file:///a.py' }));
      assert.equal(out.stats.contextReused, 0);
      assert.equal(out.stats.contextEncoded, out.stats.promptTokens);
    }
    assert.equal(model.layouts.length, 2, 'both requests laid out their whole context');
    engine.forgetDocument('file:///a.py');
  });

  it('lays out [bos] [language] prefix · canvas · suffix [eos]', async () => {
    await engine.infill(input({ language: 'python' }));
    await engine.infill(input({ language: 'haskell' }));
    const [py, other] = model.layouts;
    assert.deepEqual(py!.head, [2, 4]);
    assert.deepEqual(other!.head, [2, 5]);
    assert.deepEqual(py!.tail, [3]);
    assert.equal(tokenizer.decode(py!.prefix as number[]), input().prefix);
    assert.equal(tokenizer.decode(py!.suffix as number[]), input().suffix);
  });

  it('clamps the canvas to maxCanvasTokens and the context to maxContextTokens', async () => {
    const out = await engine.infill(input({ maxTokens: 1000, prefix: 'x = 1\n'.repeat(5000), suffix: 'y = 2\n'.repeat(5000) }));
    assert.equal(out.stats.canvasTokens, 16);
    assert.equal(out.stats.promptTokens, 64);
    const layout = model.layouts[0]!;
    assert.equal(layout.canvasLength, 16);
    assert.ok(tokenizer.decode(layout.prefix).endsWith('x = 1\n'));
    assert.ok(tokenizer.decode(layout.suffix).startsWith('y = 2\n'));
  });

  it('leaves the suffix out for a model that takes none, the prefix keeping the whole budget', async () => {
    engine = engineFrom({ manifest: { ...manifest(), takesSuffix: false }, tokenizer, model, device: { provider: 'cpu', kind: 'cpu' }, warnings: [] });
    const out = await engine.infill(input({ maxTokens: 1000, prefix: 'x = 1\n'.repeat(5000), suffix: 'y = 2\n'.repeat(5000) }));
    const layout = model.layouts[0]!;
    assert.deepEqual(layout.suffix, []);
    assert.equal(out.stats.promptTokens, 64);
    assert.equal(layout.prefix.length, 64 - layout.head.length - layout.tail.length);
  });

  it('answers in LF text, as the request contract says', async () => {
    model = new SpellingModel(tokenizer.encode('a\nb'));
    engine = engineFrom({ manifest: manifest(), tokenizer, model, device: { provider: 'cpu', kind: 'cpu' }, warnings: [] });
    const out = await engine.infill(input({ prefix: 'x\ny\n', suffix: '\nz' }));
    assert.equal(out.text, 'a\nb');
  });

  it('never answers with a carriage return, though the bundled vocabulary has two tokens holding one', async () => {
    const bundled = readManifest(bundledModelDir);
    const vocabulary = loadTokenizer(bundled.files.tokenizer);
    const withCr = [...Array(bundled.vocabSize).keys()].filter((id) => vocabulary.decode([id]).includes('\r'));
    assert.deepEqual(withCr.map((id) => vocabulary.decode([id])), ['\r', '\r\n'], 'the vocabulary learnt CR from CRLF files');
    const spelt = [...vocabulary.encode('a'), withCr[1]!, ...vocabulary.encode('b'), withCr[0]!, ...vocabulary.encode('c'), withCr[0]!];
    assert.equal(vocabulary.decode(spelt), 'a\r\nb\rc\r');
    engine = engineFrom({ manifest: bundled, tokenizer: vocabulary, model: new SpellingModel(spelt, bundled.vocabSize), device: { provider: 'cpu', kind: 'cpu' }, warnings: [] });
    const progress: string[] = [];
    const out = await engine.infill(input({ sampler: { kind: 'lowConfidence' } }), { onProgress: (p) => progress.push(p.text) });
    assert.equal(out.text, 'a\nb\nc\n', 'CRLF and lone CR become LF');
    assert.ok(progress.length > 1);
    for (const text of progress) assert.ok(!text.includes('\r'), `progress text ${JSON.stringify(text)}`);
  });

  it('reads only the text near the cursor of a huge request', async () => {
    const seen: string[] = [];
    const base = tokenizer;
    const counting: TextTokenizer = {
      encode: (text) => (seen.push(text), base.encode(text)),
      decode: (ids) => base.decode(ids),
      size: base.size,
      specialIds: base.specialIds,
      idToToken: (id) => base.idToToken(id),
    };
    engine = engineFrom({ manifest: manifest(), tokenizer: counting, model, device: { provider: 'cpu', kind: 'cpu' }, warnings: [] });
    await engine.infill(input({ prefix: 'x = 1\n'.repeat(1_000_000), suffix: 'y = 2\n'.repeat(1_000_000) }));
    const encoded = seen.reduce((n, text) => n + text.length, 0);
    assert.ok(encoded < 10_000, `encoded ${encoded} characters of 12 million`);
  });

  it('reports progress after every pass, masked positions as the glyph', async () => {
    const seen: InfillProgress[] = [];
    const out = await engine.infill(input({ sampler: { kind: 'lowConfidence' } }), { onProgress: (p) => seen.push(p) });
    assert.equal(seen.length, out.stats.forwardPasses);
    assert.ok(seen[0]!.text.includes(maskGlyph));
    assert.equal(seen[0]!.committed, 1);
    assert.equal(seen.at(-1)!.text, 'return x');
    assert.deepEqual(
      seen.map((p) => p.forwardPasses),
      seen.map((_, i) => i + 1),
    );
  });

  it('stops when cancelled, before the first pass or between passes', async () => {
    const before = await engine.infill(input(), { isCancelled: () => true });
    assert.equal(before.finishReason, 'cancelled');
    assert.equal(before.stats.forwardPasses, 0);
    assert.equal(model.passes, 0);

    let cancel = false;
    const mid = await engine.infill(input({ sampler: { kind: 'lowConfidence' } }), { isCancelled: () => cancel, onProgress: () => (cancel = true) });
    assert.equal(mid.finishReason, 'cancelled');
    assert.equal(mid.stats.forwardPasses, 1);
    assert.equal(mid.text, 'r', 'the committed start of the middle');
  });

  it("finishes with 'length' when the canvas fills without a pad", async () => {
    const out = await engine.infill(input({ maxTokens: 3 }));
    assert.equal(out.finishReason, 'length');
    assert.equal(out.text, tokenizer.decode(tokenizer.encode('return x').slice(0, 3)));
  });

  it('drops a character cut in half when the canvas ends inside it', async () => {
    model = new SpellingModel(tokenizer.encode('aé'));
    engine = engineFrom({ manifest: manifest(), tokenizer, model, device: { provider: 'cpu', kind: 'cpu' }, warnings: [] });
    assert.equal(tokenizer.encode('aé').length, 3, 'é is two byte tokens');
    const out = await engine.infill(input({ maxTokens: 2 }));
    assert.equal(out.finishReason, 'length');
    assert.equal(out.text, 'a');
  });
});
