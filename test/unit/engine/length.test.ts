import * as assert from 'node:assert/strict';
import type { InfillInput } from '../../../src/engine/api';
import { engineFrom } from '../../../src/engine/engine';
import { chooseLength, endProbabilities, lengthMargin } from '../../../src/engine/length';
import { parseManifest } from '../../../src/engine/model/manifest';
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
  async begin(layout: SequenceLayout) {
    this.layouts.push({ ...layout });
    return {
      encodeMs: 0,
      forward: async (canvas: Int32Array) => {
        this.passes++;
        const v = this.vocabSize;
        const logits = new Float32Array(canvas.length * v);
        for (let j = 0; j < canvas.length; j++) {
          const token = this.middle[j] ?? (j === this.middle.length ? EOS : this.junk);
          logits[j * v + token] = 12 - j * 0.05;
        }
        return logits;
      },
      release: () => {},
    };
  }
  async dispose() {}
}

describe('engine/length', () => {
  describe('choosing the length from end-token probabilities', () => {
    it('takes the first position where an end token dominates, plus the margin', () => {
      const p = Float32Array.from([0.1, 0.2, 0.45, 0.1, 0.7, 0.2, 0.9, 0.95]);
      assert.deepEqual(chooseLength(p, 64), { likelyEnd: 4, chosenTokens: 4 + lengthMargin(4) });
    });

    it('grows the margin with the length: a few tokens and a quarter more', () => {
      assert.equal(lengthMargin(0), 4);
      assert.equal(lengthMargin(8), 6);
      assert.equal(lengthMargin(30), 12);
    });

    it('never chooses more than the cap, and keeps the cap where no end token dominates', () => {
      const late = new Float32Array(40);
      late[30] = 0.9;
      assert.deepEqual(chooseLength(late, 32), { likelyEnd: 30, chosenTokens: 32 });
      assert.deepEqual(chooseLength(new Float32Array(16).fill(0.5), 16), { likelyEnd: -1, chosenTokens: 16 });
    });

    it('reads end probability as softmax over the allowed tokens, pad and eos together', () => {
      const v = 4;
      // Row 0: tokens 0..3 with logits 0, 0, ln 2, 100 (banned); ends are 1 and 2 → (1 + 2) / (1 + 1 + 2).
      const logits = Float32Array.from([0, 0, Math.log(2), 100, 0, 0, 0, 0]);
      const p = endProbabilities(logits, v, new Set([1, 2]), Uint8Array.from([0, 0, 0, 1]));
      assert.ok(Math.abs(p[0]! - 0.75) < 1e-6, String(p[0]));
      assert.ok(Math.abs(p[1]! - 2 / 3) < 1e-6, String(p[1]));
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
