import * as assert from 'node:assert/strict';
import type { InfillInput } from '../../../src/engine/api';
import { engineFrom } from '../../../src/engine/engine';
import { chooseLength, endProbability, lengthMargin, likelyEnd } from '../../../src/engine/length';
import { parseManifest } from '../../../src/modelFolder/manifest';
import type { CanvasModel, SequenceLayout } from '../../../src/engine/runners/model';
import type { TextTokenizer } from '../../../src/engine/tokenizer';
import { TINY_VOCAB, loadTinyTokenizer, tempDir } from './fixtures';

/** End token of the fake models: pad and eos are one id, as in the Dream family. */
const EOS = 3;

/**
 * A fake model that spells `middle`, then an end token, then `junk` to the canvas's end: the end
 * token is likely only right after the middle. More confident to the left.
 */
class EndingModel implements CanvasModel {
  layouts: SequenceLayout[] = [];
  passes = 0;
  constructor(
    private readonly middle: number[],
    private readonly junk: number,
    readonly vocabSize = TINY_VOCAB,
  ) {}
  begin(layout: SequenceLayout) {
    this.layouts.push({ ...layout });
    return Promise.resolve({
      encodeMs: 0,
      forward: (canvas: Int32Array) => {
        this.passes++;
        const v = this.vocabSize;
        const logits = new Float32Array(canvas.length * v);
        for (let j = 0; j < canvas.length; j++) {
          const token = this.middle[j] ?? (j === this.middle.length ? EOS : this.junk);
          logits[j * v + token] = 12 - j * 0.05;
        }
        return Promise.resolve(logits);
      },
      release: () => {},
    });
  }
  async dispose() {}
}

describe('engine/length', () => {
  describe('choosing the length from end-token probabilities', () => {
    /** Logits [N × 4] whose row j gives the end token (id 1) probability p[j], the rest to token 0. */
    const rows = (p: number[]) => Float32Array.from(p.flatMap((q) => [Math.log(1 - q), Math.log(q), -Infinity, -Infinity]));
    const noneBanned = new Uint8Array(4);

    it('takes the first position where an end token dominates, plus the margin', () => {
      const end = likelyEnd(rows([0.1, 0.2, 0.45, 0.1, 0.7, 0.2, 0.9, 0.95]), 4, new Set([1]), noneBanned);
      assert.equal(end, 4);
      assert.equal(chooseLength(end, 64), 4 + lengthMargin(4));
    });

    it('finds none where no end token passes one half, and then keeps the cap', () => {
      assert.equal(likelyEnd(rows([0.5, 0.3, 0.5]), 4, new Set([1]), noneBanned), -1);
      assert.equal(chooseLength(-1, 16), 16);
    });

    it('grows the margin with the length: a few tokens and a quarter more', () => {
      assert.equal(lengthMargin(0), 4);
      assert.equal(lengthMargin(8), 6);
      assert.equal(lengthMargin(30), 12);
    });

    it('never chooses more than the cap', () => {
      assert.equal(chooseLength(30, 32), 32);
      assert.equal(chooseLength(3, 8), 8);
    });

    it('reads end probability as softmax over the allowed tokens, pad and eos together', () => {
      // Tokens 0..3 with logits 0, ln 1.5, ln 1.5, 100 (banned); ends are 1 and 2 → 3 / (1 + 3).
      const row = Float32Array.from([0, Math.log(1.5), Math.log(1.5), 100]);
      const banned = Uint8Array.from([0, 0, 0, 1]);
      assert.ok(Math.abs(endProbability(row, new Set([1, 2]), banned) - 0.75) < 1e-6);
      // Two end tokens each below the best other token still dominate together.
      const split = Float32Array.from([Math.log(0.3), Math.log(0.35), Math.log(0.25), 100]);
      assert.equal(likelyEnd(Float32Array.from([...rows([0.2]), ...split]), 4, new Set([1, 2]), banned), 1);
    });
  });

  describe('the engine with a manifest that asks for it', () => {
    let t: ReturnType<typeof tempDir>;
    let tokenizer: TextTokenizer;
    before(() => {
      t = tempDir();
      tokenizer = loadTinyTokenizer(t.dir);
    });
    after(() => t.remove());

    const manifest = (lengthChoice?: string) =>
      parseManifest(
        {
          format: 1,
          name: 'fake-dream',
          contract: 'full',
          family: 'dream',
          files: { tokenizer: 'tokenizer.json', model: 'm.onnx' },
          vocabSize: TINY_VOCAB,
          specialTokens: { mask: 0, pad: EOS, bos: 2, eos: EOS },
          bosFirst: false,
          eosLast: false,
          maxContextTokens: 128,
          maxCanvasTokens: 48,
          ...(lengthChoice === undefined ? {} : { lengthChoice }),
        },
        t.dir,
      );
    const input = (over: Partial<InfillInput> = {}): InfillInput => ({
      prefix: 'def f(x):\n    ',
      suffix: '\n\nprint(f(1))\n',
      language: 'python',
      maxTokens: 40,
      stepBudget: 40,
      sampler: { kind: 'saber' },
      ...over,
    });
    const run = async (lengthChoice: string | undefined, over: Partial<InfillInput> = {}) => {
      const middle = tokenizer.encode('return x');
      const model = new EndingModel(middle, tokenizer.encode('!')[0]!);
      const engine = engineFrom({ manifest: manifest(lengthChoice), tokenizer, model, device: { provider: 'cpu', kind: 'cpu', threads: 2 }, warnings: [] });
      return { out: await engine.infill(input(over)), model, middle };
    };

    it('probes the longest canvas, then denoises the likely length plus the margin, ending at the first end token', async () => {
      const { out, model, middle } = await run('endProbability');
      const chosen = middle.length + lengthMargin(middle.length);
      assert.deepEqual(
        model.layouts.map((l) => l.canvasLength),
        [40, chosen],
      );
      assert.equal(out.text, 'return x', 'the junk after the end token is never read');
      assert.equal(out.finishReason, 'stop');
      assert.equal(out.stats.canvasTokens, chosen);
      assert.deepEqual(out.stats.lengthChoice, { probedTokens: 40, likelyEnd: middle.length, chosenTokens: chosen });
      assert.equal(out.stats.forwardPasses, model.passes, 'the probe counts as a pass');
      assert.ok(out.stats.forwardPasses <= 40);
    });

    it("caps the length at the request's maxTokens, and then serves the probe as the first denoising pass", async () => {
      const capped = await run('endProbability', { maxTokens: 10, stepBudget: 10 });
      assert.deepEqual(
        capped.model.layouts.map((l) => l.canvasLength),
        [10],
      );
      assert.deepEqual(capped.out.stats.lengthChoice, { probedTokens: 10, likelyEnd: capped.middle.length, chosenTokens: 10 });
      const plain = await run(undefined, { maxTokens: 10, stepBudget: 10 });
      assert.equal(capped.out.text, plain.out.text);
      assert.equal(capped.out.stats.forwardPasses, plain.out.stats.forwardPasses, 'no pass spent on the probe');
      assert.equal(capped.model.passes, plain.model.passes);
    });

    it('counts the probe as a pass when cancelled right after it, whatever the length chosen', async () => {
      for (const maxTokens of [40, 10]) {
        const middle = tokenizer.encode('return x');
        const model = new EndingModel(middle, tokenizer.encode('!')[0]!);
        const engine = engineFrom({ manifest: manifest('endProbability'), tokenizer, model, device: { provider: 'cpu', kind: 'cpu', threads: 2 }, warnings: [] });
        const out = await engine.infill(input({ maxTokens }), { isCancelled: () => model.passes > 0 });
        assert.equal(out.finishReason, 'cancelled');
        assert.equal(out.stats.forwardPasses, 1, `maxTokens ${maxTokens}`);
        assert.equal(model.passes, 1);
      }
    });

    it('keeps the step budget, the probe included', async () => {
      const { out, model } = await run('endProbability', { stepBudget: 2 });
      assert.equal(model.passes, 2);
      assert.equal(out.stats.forwardPasses, 2);
      assert.equal(out.finishReason, 'stop');
    });

    it('without the manifest field, denoises the canvas the request allows, exactly as before', async () => {
      const { out, model } = await run(undefined);
      assert.deepEqual(
        model.layouts.map((l) => l.canvasLength),
        [40],
      );
      assert.equal(out.stats.canvasTokens, 40);
      assert.equal(out.stats.lengthChoice, undefined);
      assert.equal(out.text, 'return x');
      assert.equal(out.stats.forwardPasses, model.passes);
    });

    it('refuses an unknown lengthChoice by name', () => {
      assert.throws(() => manifest('guess'), /unknown "lengthChoice" "guess" \(expected "endProbability"\)/);
      assert.equal(manifest('endProbability').lengthChoice, 'endProbability');
      assert.equal(manifest().lengthChoice, undefined);
    });
  });
});
