/**
 * The length choice (src/engine/length.ts) end to end: tiny Dream and LLaDA checkpoints converted
 * by the converter carry `lengthChoice`, and the engine runs it on their real graphs, exact and
 * cached, through loadEngine and through `npm run complete -- --json`. The tiny models' weights are
 * random, so one test lifts the end token's logit past a position to give them a middle's length.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { convert } from '../../../src/convert/convert';
import type { InfillInput } from '../../../src/engine/api';
import { engineFrom, loadEngine } from '../../../src/engine/engine';
import { lengthMargin } from '../../../src/engine/length';
import { loadParts } from '../../../src/engine/model/load';
import type { CanvasModel, SequenceLayout } from '../../../src/engine/runners/model';
import type { InfillStats } from '../../../src/protocol/protocol';
import { DREAM_SPEC, LLADA_SPEC, writeTinyCheckpointFolder } from '../../unit/convert/tinyCheckpoint';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(repoRoot, 'dist', 'complete.js');

/** The middle the lifted model means: this many tokens, then its end token. */
const LIKELY_END = 5;

/** A real model whose end-token logit is lifted from position LIKELY_END on: it means a 5-token middle. */
class EndsAfter implements CanvasModel {
  canvasLengths: number[] = [];
  constructor(
    private readonly inner: CanvasModel,
    private readonly eos: number,
  ) {}
  get vocabSize() {
    return this.inner.vocabSize;
  }
  async begin(layout: SequenceLayout) {
    this.canvasLengths.push(layout.canvasLength);
    const pass = await this.inner.begin(layout);
    const v = this.inner.vocabSize;
    return {
      encodeMs: pass.encodeMs,
      forward: async (canvas: Int32Array) => {
        const logits = Float32Array.from(await pass.forward(canvas));
        for (let j = LIKELY_END; j < canvas.length; j++) logits[j * v + this.eos] = logits[j * v + this.eos]! + 50;
        return logits;
      },
      release: () => pass.release(),
    };
  }
  dispose() {
    return this.inner.dispose();
  }
}

const input: InfillInput = { prefix: 'abcdefgh', suffix: 'ijklmnop', language: '', maxTokens: 16, stepBudget: 16, sampler: { kind: 'lowConfidence' } };

/** What every request on a model that chooses its length reports, whatever the weights. */
function assertChoiceStats(stats: InfillStats): void {
  const choice = stats.lengthChoice;
  assert.ok(choice, 'stats.lengthChoice');
  assert.equal(choice.probedTokens, 16);
  const expected = choice.likelyEnd < 0 ? 16 : Math.min(16, choice.likelyEnd + lengthMargin(choice.likelyEnd));
  assert.equal(choice.chosenTokens, expected);
  assert.equal(stats.canvasTokens, choice.chosenTokens);
  assert.ok(stats.tokens <= choice.chosenTokens);
  assert.ok(stats.forwardPasses >= 1 && stats.forwardPasses <= 16);
}

describe('length choice on converted models', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-length-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const spec of [DREAM_SPEC, LLADA_SPEC]) {
    describe(spec.family, () => {
      let model: string;
      before(async () => {
        writeTinyCheckpointFolder(path.join(dir, `hf-${spec.family}`), spec);
        model = path.join(dir, spec.family);
        await convert(path.join(dir, `hf-${spec.family}`), { to: model, weights: 'fp32', canvas: 16 });
      });

      it('reports the chosen length through loadEngine, exact and cached', async () => {
        for (const cachedRefreshEvery of [0, 4]) {
          const engine = await loadEngine({ modelDir: model, device: 'cpu', threads: 1, cachedRefreshEvery });
          try {
            const out = await engine.infill(input);
            assertChoiceStats(out.stats);
          } finally {
            await engine.dispose();
          }
        }
      });

      it('denoises the likely length plus the margin on the real graphs, and ends at the end token', async () => {
        for (const cachedRefreshEvery of [0, 4]) {
          const parts = await loadParts({ modelDir: model, device: 'cpu', threads: 1, cachedRefreshEvery });
          const lifted = new EndsAfter(parts.model, parts.manifest.specialTokens.eos!);
          const engine = engineFrom({ ...parts, model: lifted });
          try {
            const out = await engine.infill(input);
            const chosen = LIKELY_END + lengthMargin(LIKELY_END);
            assert.deepEqual(out.stats.lengthChoice, { probedTokens: 16, likelyEnd: LIKELY_END, chosenTokens: chosen });
            assert.deepEqual(lifted.canvasLengths, [16, chosen]);
            assert.equal(out.finishReason, 'stop');
            assert.equal(out.stats.tokens, LIKELY_END);
            assert.ok(out.stats.forwardPasses <= 16);
          } finally {
            await engine.dispose();
          }
        }
      });

      it('says the chosen length in npm run complete --json', () => {
        if (!fs.existsSync(cli)) throw new Error(`${cli} missing: run npm run build`);
        const file = path.join(dir, `${spec.family}.txt`);
        fs.writeFileSync(file, 'abcdefghijklmnop');
        const args = [cli, `${file}:1:9`, '--model', model, '--threads', '1', '--max-tokens', '16', '--steps', '16', '--sampler', 'lowConfidence', '--json'];
        const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
        assert.equal(run.status, 0, run.stderr);
        assertChoiceStats((JSON.parse(run.stdout) as { stats: InfillStats }).stats);
      });
    });
  }
});
