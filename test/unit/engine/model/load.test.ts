import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from '../../../../src/modelFolder/errors';
import { bundledModelDir } from '../../../../src/modelFolder/folder';
import { type ModelParts, loadParts } from '../../../../src/engine/model/load';
import { FullModel } from '../../../../src/engine/runners/full';
import { TensorType, model, valueInfo } from '../../../../src/engine/runners/onnxProto';
import { SplitModel } from '../../../../src/engine/runners/split';
import { TINY_VOCAB, idsAsLogitsNodes, tempDir, tinyTokenizerJson } from '../fixtures';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

/** A full-contract graph whose logits row i is input_ids[i] in every column: it shows which row the runner reads. */
function echoFullGraph(vocab: number): Uint8Array {
  return model(
    {
      name: 'model',
      nodes: idsAsLogitsNodes('input_ids', vocab),
      inputs: [valueInfo('input_ids', TensorType.int64, [1, 'T'])],
      outputs: [valueInfo('logits', TensorType.float, [1, 'T', vocab])],
    },
    17,
  );
}

function fullManifest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 1,
    name: 'echo',
    contract: 'full',
    files: { tokenizer: 'tokenizer.json', model: 'model.onnx' },
    vocabSize: TINY_VOCAB,
    specialTokens: { mask: 0, pad: 1, bos: 2, eos: 3 },
    maxContextTokens: 64,
    maxCanvasTokens: 16,
    ...extra,
  };
}

async function dispose(parts: ModelParts): Promise<void> {
  await Promise.all([parts.model.dispose(), parts.scorer?.dispose()]);
}

describe('engine/model/load', function () {
  this.timeout(60000);

  it('opens the bundled model on CPU behind the split runner: its graphs take as many tokens as its manifest claims', async () => {
    const parts = await loadParts({ modelDir: bundledModelDir(repoRoot), device: 'cpu', threads: 1 });
    try {
      assert.equal(parts.manifest.contract, 'split');
      assert.ok(parts.model instanceof SplitModel);
      assert.equal(parts.device.provider, 'cpu');
    } finally {
      await dispose(parts);
    }
  });

  describe('a folder of its own', () => {
    let t: ReturnType<typeof tempDir>;
    beforeEach(() => {
      t = tempDir();
      fs.writeFileSync(path.join(t.dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
      fs.writeFileSync(path.join(t.dir, 'model.onnx'), echoFullGraph(TINY_VOCAB));
    });
    afterEach(() => t.remove());

    for (const shiftedLogits of [false, true]) {
      it(`opens a full model behind the full runner, reading ${shiftedLogits ? 'the row before' : 'the row at'} each canvas position`, async () => {
        fs.writeFileSync(path.join(t.dir, 'dllm.json'), JSON.stringify(fullManifest({ shiftedLogits })));
        const parts = await loadParts({ modelDir: t.dir, device: 'cpu', threads: 1 });
        try {
          assert.ok(parts.model instanceof FullModel);
          assert.equal(parts.model.vocabSize, TINY_VOCAB);
          const pass = await parts.model.begin({ head: [2], prefix: [10], canvasLength: 2, suffix: [20], tail: [3] });
          const logits = await pass.forward(Int32Array.from([7, 8]));
          pass.release();
          // The sequence is 2 10 7 8 20 3: the canvas sits at positions 2 and 3.
          assert.deepEqual([logits[0], logits[TINY_VOCAB]], shiftedLogits ? [10, 7] : [7, 8]);
        } finally {
          await dispose(parts);
        }
      });
    }

    it('refuses a tokenizer with more tokens than the manifest, before opening any graph', async () => {
      fs.writeFileSync(path.join(t.dir, 'dllm.json'), JSON.stringify(fullManifest({ vocabSize: TINY_VOCAB - 1 })));
      fs.writeFileSync(path.join(t.dir, 'model.onnx'), 'not a graph');
      const tokenizer = path.join(t.dir, 'tokenizer.json');
      await assert.rejects(loadParts({ modelDir: t.dir, device: 'cpu', threads: 1 }), (e: unknown) => {
        assert.ok(e instanceof ModelLoadError, String(e));
        assert.equal(e.path, tokenizer);
        assert.equal(e.reason, `tokenizer has ${TINY_VOCAB} tokens but dllm.json says vocabSize ${TINY_VOCAB - 1}`);
        return true;
      });
    });
  });
});
