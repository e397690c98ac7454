/**
 * A converted tiny SDAR checkpoint run through the engine: its manifest states the block length,
 * and every pass commits only in the earliest canvas block with masked positions, blocks counted
 * from sequence position 0 (the canvas starting mid-block), the whole canvas done within the budget.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { convertCheckpoint } from '../../../src/convert/convert';
import { engineFrom } from '../../../src/engine/engine';
import { loadParts } from '../../../src/engine/model/load';
import { type CanvasModel, type SequenceLayout, canvasOffset } from '../../../src/engine/runners/model';
import { samplerKinds } from '../../../src/protocol/protocol';
import { SDAR_SPEC, memoryCheckpoint } from '../convert/tinyCheckpoint';

describe('engine: a block-causal model denoises block by block', function () {
  this.timeout(60000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-blocks-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('SDAR: commits stay in the earliest block with masked positions, the first one partial, and the canvas is finished', async () => {
    const to = path.join(tmp, 'sdar');
    await convertCheckpoint(memoryCheckpoint(path.join(tmp, 'hf'), SDAR_SPEC), { to, weights: 'fp32', canvas: 16 });
    const parts = await loadParts({ modelDir: to, device: 'cpu', threads: 1 });
    const blockLength = SDAR_SPEC.blockLength!;
    assert.equal(parts.manifest.blockLength, blockLength);
    const end = parts.manifest.specialTokens.eos!;
    const mask = parts.manifest.specialTokens.mask;

    // The real model, its end token ruled out (random weights would often end at once) and every canvas it is given recorded.
    const layouts: SequenceLayout[] = [];
    let canvases: Int32Array[] = [];
    const spy: CanvasModel = {
      vocabSize: parts.model.vocabSize,
      async begin(layout) {
        layouts.push(layout);
        const pass = await parts.model.begin(layout);
        return {
          encodeMs: pass.encodeMs,
          async forward(canvas) {
            canvases.push(Int32Array.from(canvas));
            const logits = await pass.forward(canvas);
            for (let j = 0; j < canvas.length; j++) logits[j * parts.model.vocabSize + end] = -1e9;
            return logits;
          },
          release: () => pass.release(),
        };
      },
      dispose: () => parts.model.dispose(),
    };
    const engine = engineFrom({ ...parts, model: spy, contextCacheBytes: 0 });
    try {
      for (const kind of samplerKinds) {
        canvases = [];
        // Prefix tokens put the canvas mid-block; 12 canvas tokens span four blocks of 4.
        const out = await engine.infill({ prefix: 'abcdefghi', suffix: 'zzz', maxTokens: 12, stepBudget: 12, sampler: { kind } });
        const start = canvasOffset(layouts.at(-1)!);
        assert.notEqual(start % blockLength, 0, 'the canvas starts mid-block');
        assert.equal(out.stats.tokens, 12, kind);
        assert.ok(out.stats.forwardPasses <= 12);
        for (let k = 1; k < canvases.length; k++) {
          const [before, after] = [canvases[k - 1]!, canvases[k]!];
          const first = before.indexOf(mask);
          const block = Math.floor((start + first) / blockLength);
          const [from, to] = [block * blockLength - start, (block + 1) * blockLength - start];
          for (let i = 0; i < before.length; i++) {
            if (before[i] !== after[i]) assert.ok(i >= Math.max(0, from) && i < to, `${kind}, pass ${k}: position ${i} outside [${from}, ${to})`);
          }
        }
        // More than one block's worth of passes: the blocks were done one after another.
        assert.ok(canvases.length >= 4, `${kind}: ${canvases.length} passes`);
      }
    } finally {
      await engine.dispose();
    }
  });
});
