/**
 * The whole conversion: a tiny random checkpoint of each family becomes a model folder that the
 * engine's own loader opens and whose graph gives the reference logits; every refusal leaves
 * nothing behind.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { convert, convertCheckpoint, type ConvertOptions } from '../../../src/convert/convert';
import { ConvertError } from '../../../src/convert/errors';
import { UNKNOWN_LICENSE } from '../../../src/convert/modelCard';
import { loadParts } from '../../../src/engine/model/load';
import { referenceLogits } from './referenceForward';
import { DREAM_SPEC, DREAMON_SPEC, FAST_DLLM_V2_SPEC, LLADA_SPEC, SDAR_SPEC, type MemoryCheckpointOptions, type TinySpec, configFor, headSize, memoryCheckpoint } from './tinyCheckpoint';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-convert-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function checkpoint(spec: TinySpec, options?: MemoryCheckpointOptions) {
  return memoryCheckpoint(path.join(tmp, 'hf-model'), spec, options);
}

async function refusal(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => e instanceof ConvertError && pattern.test(e.message));
  // Nothing is left beside the destination: no partial folder.
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f !== 'hf-model' && f !== 'existing'), []);
}

async function logitsOf(dir: string, ids: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'));
  try {
    const out = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) });
    return (out.logits as ort.Tensor).data as Float32Array;
  } finally {
    await session.release();
  }
}

const IDS = [5, 9, 30, 2, 2, 17, 44];

describe('convert: a checkpoint to a model folder', function () {
  this.timeout(60000);

  for (const spec of [DREAM_SPEC, LLADA_SPEC, SDAR_SPEC, FAST_DLLM_V2_SPEC]) {
    it(`converts a ${spec.family} checkpoint into a folder the engine loads, with the reference logits`, async () => {
      const source = checkpoint(spec);
      const to = path.join(tmp, 'out');
      const progress: number[] = [];
      const result = await convertCheckpoint(source, { to, weights: 'fp32', onProgress: (p) => progress.push(p.tensorsDone) });
      assert.deepEqual(fs.readdirSync(to).sort(), ['cached.onnx', 'dllm.json', 'model.onnx', 'model.onnx.data', 'tokenizer.json']);
      assert.deepEqual(fs.readdirSync(tmp).sort(), ['hf-model', 'out']);
      assert.equal(progress.at(-1), progress.length);

      const parts = await loadParts({ modelDir: to, device: 'cpu', threads: 1 });
      try {
        assert.equal(parts.manifest.contract, 'full');
        assert.equal(parts.manifest.vocabSize, spec.vocab);
        assert.equal(parts.manifest.contract === 'full' && parts.manifest.shiftedLogits, spec.family === 'dream' || spec.family === 'fast-dllm-v2');
        // The cached mode's graphs are offered, with the key/value heads' cache shape.
        assert.deepEqual(parts.manifest.contract === 'full' && parts.manifest.kvCache, { layers: spec.layers, heads: spec.kvHeads, headDim: headSize(spec) });
        // A block-causal model cannot see past the canvas: the engine leaves the suffix out.
        assert.equal(parts.manifest.takesSuffix, spec.blockLength !== undefined ? false : undefined);
        // ...and denoises block by block, blocks as long as the family's.
        assert.equal(parts.manifest.blockLength, spec.blockLength);
      } finally {
        await parts.model.dispose();
      }
      const m = result.manifest;
      assert.equal(m.family, spec.family);
      assert.deepEqual(m.specialTokens, { mask: spec.vocab - 2, pad: spec.vocab - 3, bos: spec.family === 'llada' ? null : spec.vocab - 3, eos: spec.vocab - 3 });
      // Every family here pads with eos: the engine chooses each request's canvas length (src/engine/length.ts).
      assert.equal(m.lengthChoice, 'endProbability');
      assert.equal(m.lengthTokens, undefined, 'no expand token: the canvas keeps its length');
      assert.equal(m.license, UNKNOWN_LICENSE);
      assert.equal(m.maxContextTokens, 1024);
      assert.equal(m.maxCanvasTokens, 128);

      const expected = referenceLogits(spec, source.weights, IDS);
      const actual = await logitsOf(to, IDS);
      expected.forEach((row, i) => row.forEach((e, j) => assert.ok(Math.abs(actual[i * spec.vocab + j]! - e) < 1e-4)));
    });
  }

  it('converts a DreamOn checkpoint (an <|expand|> token) with its expand token and its eos as the delete token, bos and eos around the prompt, and no length probe', async () => {
    const spec = DREAMON_SPEC;
    const to = path.join(tmp, 'out');
    const { manifest: m } = await convertCheckpoint(checkpoint(spec), { to, weights: 'fp32' });
    // DreamOn's training and generation delete with eos, not with the tokenizer's <|delete|> string.
    assert.deepEqual(m.lengthTokens, { expand: spec.vocab - 5, delete: spec.vocab - 3 });
    assert.equal(m.lengthChoice, undefined);
    assert.deepEqual([m.bosFirst, m.eosLast], [true, true]);
    const parts = await loadParts({ modelDir: to, device: 'cpu', threads: 1 });
    try {
      assert.deepEqual(parts.manifest.lengthTokens, { expand: spec.vocab - 5, delete: spec.vocab - 3 });
    } finally {
      await parts.model.dispose();
    }
    // A delete token stated in generation_config.json is taken as it is.
    const stated = await convertCheckpoint(checkpoint(spec, { generationConfig: { delete_token_id: spec.vocab - 4 } }), { to: path.join(tmp, 'out2'), weights: 'fp32' });
    assert.deepEqual(stated.manifest.lengthTokens, { expand: spec.vocab - 5, delete: spec.vocab - 4 });
  });

  it('stores fp16 matrices by default, half the size of fp32', async () => {
    const fp16 = await convertCheckpoint(checkpoint(DREAM_SPEC), { to: path.join(tmp, 'a') });
    const fp32 = await convertCheckpoint(checkpoint(DREAM_SPEC), { to: path.join(tmp, 'b'), weights: 'fp32' });
    assert.equal(fp16.storage, 'fp16');
    assert.ok(fp16.weightsBytes < 0.6 * fp32.weightsBytes);
  });

  it('takes the licence from the model card and the limits from the options', async () => {
    const source = checkpoint(LLADA_SPEC);
    fs.writeFileSync(path.join(source.dir, 'README.md'), '---\nlicense: other\nlicense_name: apple-amlr\npipeline_tag: text-generation\n---\n# Model\n');
    const result = await convertCheckpoint(source, { to: path.join(tmp, 'out'), context: 512, canvas: 64, name: 'tiny' });
    assert.equal(result.manifest.license, 'other (apple-amlr)');
    assert.equal(result.manifest.name, 'tiny');
    assert.equal(result.manifest.maxContextTokens, 512);
    assert.equal(result.manifest.maxCanvasTokens, 64);
  });

  it('reports the checkpoint tensors the graph does not read', async () => {
    const source = checkpoint(DREAM_SPEC, { edit: (w, s) => (w.set('model.rotary_emb.inv_freq', new Float32Array(4)), s.set('model.rotary_emb.inv_freq', [4])) });
    const result = await convertCheckpoint(source, { to: path.join(tmp, 'out') });
    assert.deepEqual(result.ignoredTensors, ['model.rotary_emb.inv_freq']);
  });

  it('converts a qwen2 config as the Dream family when told to', async () => {
    const config = { ...configFor(DREAM_SPEC), model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'] };
    await refusal(convertCheckpoint(checkpoint(DREAM_SPEC, { config }), { to: path.join(tmp, 'out') }), /unsupported model.*qwen2.*--family/);
    const result = await convertCheckpoint(checkpoint(DREAM_SPEC, { config }), { to: path.join(tmp, 'out'), family: 'dream' });
    assert.equal(result.manifest.shiftedLogits, true);
  });

  it('refuses an unknown family, naming the supported ones', async () => {
    await refusal(convertCheckpoint(checkpoint(DREAM_SPEC), { to: path.join(tmp, 'out'), family: 'mamba' }), /unknown family "mamba".*dream, llada/);
  });

  it('refuses a missing tensor and a tensor of the wrong shape before writing anything', async () => {
    const missing = checkpoint(DREAM_SPEC, { edit: (w) => w.delete('model.layers.1.mlp.up_proj.weight') });
    await refusal(convertCheckpoint(missing, { to: path.join(tmp, 'out') }), /lacks 1 tensor.*model\.layers\.1\.mlp\.up_proj\.weight/);
    const wrong = checkpoint(LLADA_SPEC, { edit: (_, s) => s.set('model.transformer.blocks.0.ff_proj.weight', [32, 40]) });
    await refusal(convertCheckpoint(wrong, { to: path.join(tmp, 'out') }), /ff_proj\.weight has shape \[32, 40\].*\[40, 32\]/);
  });

  it('refuses when the disk has too little room for the model, before writing anything', async () => {
    // The module object itself (an import's namespace is read-only): the disk as the converter sees it, 1 MiB free.
    const nodeFs = createRequire(__filename)('node:fs') as { statfsSync: typeof fs.statfsSync };
    const statfs = nodeFs.statfsSync;
    nodeFs.statfsSync = ((p: fs.PathLike) => ({ ...statfs(p), bavail: 256, bsize: 4096 })) as typeof fs.statfsSync;
    try {
      await refusal(convertCheckpoint(checkpoint(DREAM_SPEC), { to: path.join(tmp, 'out') }), /not enough free disk space in .*: the model needs .* GiB, 0\.0 GiB free/);
    } finally {
      nodeFs.statfsSync = statfs;
    }
  });

  it('refuses an existing non-empty destination and fills an empty one', async () => {
    const existing = path.join(tmp, 'existing');
    fs.mkdirSync(existing);
    fs.writeFileSync(path.join(existing, 'keep.txt'), 'mine');
    await refusal(convertCheckpoint(checkpoint(DREAM_SPEC), { to: existing }), /exists and is not empty/);
    assert.deepEqual(fs.readdirSync(existing), ['keep.txt']);
    fs.rmSync(path.join(existing, 'keep.txt'));
    await convertCheckpoint(checkpoint(DREAM_SPEC), { to: existing });
    assert.ok(fs.existsSync(path.join(existing, 'dllm.json')));
  });

  it('converts int8, int4 and int8-channel weights into a folder the engine loads, smaller than fp16, and refuses an unknown storage', async () => {
    const spec: TinySpec = { ...DREAM_SPEC, hidden: 128, ffn: 320 };
    await refusal(convertCheckpoint(checkpoint(spec), { to: path.join(tmp, 'out'), weights: 'int3' }), /unknown --weights "int3"/);
    const fp16 = await convertCheckpoint(checkpoint(spec), { to: path.join(tmp, 'fp16') });
    let previous = fp16.weightsBytes;
    for (const weights of ['int8', 'int4', 'int8-channel']) {
      const to = path.join(tmp, weights);
      const result = await convertCheckpoint(checkpoint(spec), { to, weights });
      assert.equal(result.storage, weights);
      // int8 under fp16, int4 under int8; int8-channel (int8 codes, a scale per row) under fp16.
      assert.ok(result.weightsBytes < (weights === 'int8-channel' ? fp16.weightsBytes : previous), `${weights}: ${result.weightsBytes} bytes`);
      if (weights !== 'int8-channel') previous = result.weightsBytes;
      const parts = await loadParts({ modelDir: to, device: 'cpu', threads: 1 });
      await parts.model.dispose();
      assert.equal((await logitsOf(to, IDS)).length, IDS.length * spec.vocab);
    }
  });

  it('refuses a context and canvas beyond what the model was trained for', async () => {
    const options: ConvertOptions = { to: path.join(tmp, 'out'), context: 4000, canvas: 200 };
    await refusal(convertCheckpoint(checkpoint(DREAM_SPEC), options), /exceeds the 4096 positions/);
  });

  it('leaves nothing when cancelled part way through the weights', async () => {
    const controller = new AbortController();
    let reads = 0;
    const source = checkpoint(DREAM_SPEC, { onRead: () => (++reads === 5 ? controller.abort() : undefined) });
    await refusal(convertCheckpoint(source, { to: path.join(tmp, 'out'), signal: controller.signal }), /^cancelled$/);
    assert.ok(reads >= 5);
    assert.equal(fs.existsSync(path.join(tmp, 'out')), false);
  });

  it("refuses a weight beyond fp16's range instead of storing infinity", async () => {
    const source = checkpoint(DREAM_SPEC, { edit: (w) => (w.get('model.layers.1.mlp.down_proj.weight')![7] = 70000) });
    await refusal(convertCheckpoint(source, { to: path.join(tmp, 'out'), weights: 'fp16' }), /down_proj\.weight holds 70000, beyond fp16's range: convert with --weights fp32/);
    await convertCheckpoint(source, { to: path.join(tmp, 'out'), weights: 'fp32' });
  });

  it('leaves nothing when a read fails part way through', async () => {
    const source = checkpoint(LLADA_SPEC, {
      onRead: (name) => {
        if (name.includes('blocks.1')) throw new ConvertError('shard truncated');
      },
    });
    await refusal(convertCheckpoint(source, { to: path.join(tmp, 'out') }), /shard truncated/);
  });

  it('refuses a checkpoint folder that does not exist, from the folder entry point', async () => {
    await refusal(convert(path.join(tmp, 'nowhere'), { to: path.join(tmp, 'out') }), /nowhere/);
  });
});
