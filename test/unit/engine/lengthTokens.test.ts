/**
 * A model with expand and delete tokens (DreamOn) through the engine: the canvas starts from a few
 * masks, grows where the model commits `<|expand|>` and shrinks where it commits `<|delete|>`, never
 * past the request's tokens; the runner begins again with each new length, and neither token
 * reaches the text.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InfillInput, LoadedEngine } from '../../../src/engine/api';
import { engineFrom } from '../../../src/engine/engine';
import { type ModelManifest, parseManifest } from '../../../src/modelFolder/manifest';
import type { CanvasModel, SequenceLayout } from '../../../src/engine/runners/model';
import { START_LENGTH } from '../../../src/engine/sampler/lengthEdits';
import { loadTokenizer, type TextTokenizer } from '../../../src/engine/tokenizer';
import { samplerKinds } from '../../../src/protocol/protocol';
import { TINY_VOCAB, logitFor, tempDir, tinyTokenizerJson } from './fixtures';

const MASK = 0;
const EOS = 3;
const EXPAND = TINY_VOCAB;
const DELETE = TINY_VOCAB + 1;
const VOCAB = TINY_VOCAB + 2;

/** The tiny tokenizer with DreamOn's two added tokens after its vocabulary. */
function tokenizerWithLengthTokens(dir: string): TextTokenizer {
  const json = tinyTokenizerJson() as { added_tokens: object[]; model: { vocab: Record<string, number> } };
  for (const [id, content] of [[EXPAND, '<|expand|>'], [DELETE, '<|delete|>']] as const) {
    json.added_tokens.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    json.model.vocab[content] = id;
  }
  const file = path.join(dir, 'tokenizer.json');
  fs.writeFileSync(file, JSON.stringify(json));
  return loadTokenizer(file);
}

/** What the scripted model predicts at each position of a canvas on its `pass`-th forward: a token, its probability, maybe a runner-up. */
type Rule = (canvas: Int32Array, pass: number) => { token: number; p: number; second?: number }[];

/** A fake model following `rule`; records every layout it began with and checks each canvas against it. */
class ScriptedModel implements CanvasModel {
  readonly vocabSize = VOCAB;
  layouts: SequenceLayout[] = [];
  canvases: Int32Array[] = [];
  constructor(private readonly rule: Rule) {}
  begin(layout: SequenceLayout) {
    this.layouts.push(layout);
    return Promise.resolve({
      encodeMs: 0,
      forward: (canvas: Int32Array) => {
        assert.equal(canvas.length, layout.canvasLength, 'each canvas goes to a pass begun with its length');
        const pass = this.canvases.push(Int32Array.from(canvas)) - 1;
        const logits = new Float32Array(canvas.length * VOCAB);
        this.rule(canvas, pass).forEach(({ token, p, second }, j) => {
          logits[j * VOCAB + token] = logitFor(p, VOCAB - 6);
          if (second !== undefined) logits[j * VOCAB + second] = logitFor(p, VOCAB - 6) - 1;
        });
        return Promise.resolve(logits);
      },
      release: () => {},
    });
  }
  async dispose() {}
}

describe('engine: expand and delete tokens change the canvas length', () => {
  let t: ReturnType<typeof tempDir>;
  let tokenizer: TextTokenizer;
  let engine: LoadedEngine | undefined;
  const manifest = (lengthTokens: { expand: number; delete: number }): ModelManifest =>
    parseManifest(
      {
        format: 1,
        name: 'fake-dreamon',
        contract: 'split',
        files: { tokenizer: 'tokenizer.json', context: 'c.onnx', denoise: 'd.onnx' },
        vocabSize: VOCAB,
        specialTokens: { mask: MASK, pad: EOS, bos: 2, eos: EOS },
        lengthChoice: 'endProbability',
        lengthTokens,
        maxContextTokens: 64,
        maxCanvasTokens: 16,
        kvCache: { layers: 1, heads: 1, headDim: 4 },
      },
      t.dir,
    );
  const run = (model: CanvasModel, lengthTokens: { expand: number; delete: number }, over: Partial<InfillInput>) => {
    engine = engineFrom({ manifest: manifest(lengthTokens), tokenizer, model, device: { provider: 'cpu', kind: 'cpu' }, warnings: [] });
    return engine.infill({ prefix: 'x = ', suffix: '\n', maxTokens: 8, stepBudget: 16, sampler: { kind: 'saber' }, ...over });
  };
  const letters = (text: string): number[] => tokenizer.encode(text);

  before(() => {
    t = tempDir();
    tokenizer = tokenizerWithLengthTokens(t.dir);
  });
  after(() => t.remove());
  afterEach(async () => engine?.dispose());

  it('expands and deletes as DreamOn does: one expand is two masks, each delete one position fewer, and the text has neither token', async () => {
    const [a, b, c] = letters('abc');
    // First pass over the 4 starting masks: expand at 0, "c" at 1 (where the pass commits it, it lands at 2), delete
    // at 2 and 3; then "abc" by position and delete after it. Whatever a sampler commits when, that is 3 positions.
    const rule: Rule = (canvas, pass) =>
      pass === 0
        ? [{ token: EXPAND, p: 0.99 }, { token: c!, p: 0.5 }, { token: DELETE, p: 0.98 }, { token: DELETE, p: 0.97 }]
        : [...canvas].map((_, j) => ({ token: [a!, b!, c!][j] ?? DELETE, p: 0.9 - j * 0.01 }));
    for (const kind of samplerKinds) {
      const model = new ScriptedModel(rule);
      const out = await run(model, { expand: EXPAND, delete: DELETE }, { sampler: { kind } });
      assert.equal(out.text, 'abc', kind);
      assert.equal(out.finishReason, 'stop', kind);
      assert.deepEqual(out.stats.lengthEdits, { expanded: 1, deleted: 2 }, kind);
      assert.equal(out.stats.canvasTokens, 3, kind);
      const lengths = model.layouts.map((l) => l.canvasLength);
      assert.equal(lengths[0], START_LENGTH, kind);
      assert.ok(lengths.length >= 2, `${kind}: begun again after the first edit`);
      lengths.slice(1).forEach((n, k) => assert.notEqual(n, lengths[k], `${kind}: begun again only where the length changed`));
      assert.equal(out.stats.lengthChoice, undefined, 'no length probe where the model edits its length');
      assert.equal(out.stats.forwardPasses, model.canvases.length);
    }
  });

  it('never grows past the request: at the cap the expand token is no candidate, and the canvas fills with the next best', async () => {
    const [z] = letters('z');
    // A model that always wants more room.
    const rule: Rule = (canvas) => [...canvas].map(() => ({ token: EXPAND, p: 0.99, second: z! }));
    for (const kind of samplerKinds) {
      const model = new ScriptedModel(rule);
      const out = await run(model, { expand: EXPAND, delete: DELETE }, { maxTokens: 6, sampler: { kind } });
      assert.equal(out.text, 'zzzzzz', kind);
      assert.equal(out.finishReason, 'length', kind);
      assert.equal(out.stats.canvasTokens, 6);
      assert.equal(out.stats.lengthEdits!.expanded, 6 - START_LENGTH, kind);
      assert.ok(model.layouts.every((l) => l.canvasLength <= 6), kind);
      assert.ok(model.canvases.every((ids) => !ids.includes(EXPAND) && !ids.includes(DELETE)), `${kind}: the model never sees an edit token`);
    }
  });

  it('deletes with the end token where that is the delete token (DreamOn deletes with its eos)', async () => {
    const [h, i] = letters('hi');
    const rule: Rule = (canvas) => [...canvas].map((_, j) => ({ token: [h!, i!][j] ?? EOS, p: 0.9 - j * 0.01 }));
    const model = new ScriptedModel(rule);
    const out = await run(model, { expand: EXPAND, delete: EOS }, {});
    assert.equal(out.text, 'hi');
    assert.equal(out.finishReason, 'stop');
    assert.equal(out.stats.canvasTokens, 2);
    assert.deepEqual(out.stats.lengthEdits, { expanded: 0, deleted: START_LENGTH - 2 });
    assert.deepEqual(model.layouts.at(-1)!.suffix, letters('\n'), 'the suffix follows the shorter canvas');
  });

  it('keeps the canvas the request allows for a model without length tokens (no lengthEdits in the stats)', async () => {
    const rule: Rule = (canvas) => [...canvas].map((_, j) => ({ token: letters('ab')[j] ?? EOS, p: 0.9 - j * 0.01 }));
    const model = new ScriptedModel(rule);
    const m = manifest({ expand: EXPAND, delete: DELETE });
    delete m.lengthTokens;
    delete m.lengthChoice;
    engine = engineFrom({ manifest: m, tokenizer, model, device: { provider: 'cpu', kind: 'cpu' }, warnings: [] });
    const out = await engine.infill({ prefix: 'x = ', suffix: '\n', maxTokens: 8, stepBudget: 16, sampler: { kind: 'saber' } });
    assert.equal(out.text, 'ab');
    assert.equal(out.stats.canvasTokens, 8);
    assert.equal(out.stats.lengthEdits, undefined);
    assert.deepEqual(model.layouts.map((l) => l.canvasLength), [8]);
  });
});
