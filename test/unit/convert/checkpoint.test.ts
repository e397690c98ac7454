import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openCheckpoint } from '../../../src/convert/checkpoint';
import { ConvertError } from '../../../src/convert/errors';
import { MAX_JSON_BYTES } from '../../../src/convert/files';
import { bf16, editEntry, expectRefusal, type TestTensor, writeCheckpointFolder, writeSafetensors } from './writeSafetensors';

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

const embed = (): TestTensor => ({ dtype: 'BF16', shape: [2, 2], data: bf16([1, 2, 3, 4]) });
const norm = (): TestTensor => ({ dtype: 'F32', shape: [2], data: new Float32Array([0.5, 0.25]) });
const head = (): TestTensor => ({ dtype: 'F16', shape: [1, 2], data: new Uint16Array([0x3c00, 0xc000]) });

/** Writes a JSON file into `dir`. */
function writeJson(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

describe('convert/checkpoint', () => {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-checkpoint-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A folder with two shards and their index; returns the index's path. */
  function sharded(): string {
    writeCheckpointFolder(dir, {
      weights: {
        'model-00001-of-00002.safetensors': { 'model.embed_tokens.weight': embed(), 'model.norm.weight': norm() },
        'model-00002-of-00002.safetensors': { 'lm_head.weight': head() },
      },
    });
    return path.join(dir, 'model.safetensors.index.json');
  }

  /** Rewrites the index's weight map. */
  function editIndex(edit: (map: Record<string, unknown>) => void): string {
    const file = path.join(dir, 'model.safetensors.index.json');
    const index = JSON.parse(fs.readFileSync(file, 'utf8')) as { weight_map: Record<string, unknown> };
    edit(index.weight_map);
    fs.writeFileSync(file, JSON.stringify(index));
    return file;
  }

  describe('opening', () => {
    it('reads a single-file checkpoint: configs, tokenizer path, tensors, size', () => {
      writeCheckpointFolder(dir, { config: { architectures: ['LLaDAModelLM'], d_model: 2 }, weights: { 'model.safetensors': { e: embed(), n: norm() } } });
      writeJson(dir, 'generation_config.json', { eos_token_id: 2 });
      writeJson(dir, 'tokenizer_config.json', { mask_token: '<|mdm_mask|>' });
      const cp = openCheckpoint(dir);
      try {
        assert.deepEqual(cp.config, { architectures: ['LLaDAModelLM'], d_model: 2 });
        assert.deepEqual(cp.generationConfig, { eos_token_id: 2 });
        assert.deepEqual(cp.tokenizerConfig, { mask_token: '<|mdm_mask|>' });
        assert.equal(cp.tokenizerPath, path.join(dir, 'tokenizer.json'));
        assert.deepEqual(cp.weightFiles, [path.join(dir, 'model.safetensors')]);
        assert.equal(cp.bytes, fs.statSync(path.join(dir, 'model.safetensors')).size);
        assert.deepEqual([...cp.tensors.values()].map((t) => [t.name, t.dtype, t.shape]), [['e', 'BF16', [2, 2]], ['n', 'F32', [2]]]);
        assert.deepEqual([...cp.readFloat32('e')], [1, 2, 3, 4]);
        assert.deepEqual([...cp.readFloat32('n')], [0.5, 0.25]);
      } finally {
        cp.close();
      }
    });

    it('leaves the optional configs undefined when absent', () => {
      writeCheckpointFolder(dir, { weights: { 'model.safetensors': { n: norm() } } });
      const cp = openCheckpoint(dir);
      cp.close();
      assert.equal(cp.generationConfig, undefined);
      assert.equal(cp.tokenizerConfig, undefined);
    });

    it('reads a sharded checkpoint through its index, from every shard', () => {
      sharded();
      const cp = openCheckpoint(dir);
      try {
        assert.deepEqual([...cp.tensors.keys()].sort(), ['lm_head.weight', 'model.embed_tokens.weight', 'model.norm.weight']);
        assert.deepEqual([...cp.readFloat32('lm_head.weight')], [1, -2]);
        assert.deepEqual([...cp.readFloat32('model.embed_tokens.weight')], [1, 2, 3, 4]);
        assert.equal(cp.weightFiles.length, 2);
        assert.equal(cp.bytes, cp.weightFiles.reduce((n, f) => n + fs.statSync(f).size, 0));
        expectRefusal(() => cp.readFloat32('model.layers.0.mlp.up_proj.weight'), dir, /no tensor "model.layers.0.mlp.up_proj.weight"/);
      } finally {
        cp.close();
      }
    });

    it('ignores a tensor a shard holds but the index does not map', () => {
      sharded();
      editIndex((map) => delete map['model.norm.weight']);
      const cp = openCheckpoint(dir);
      cp.close();
      assert.equal(cp.tensors.has('model.norm.weight'), false);
      assert.equal(cp.tensors.size, 2);
    });

    it('takes model.safetensors over an index when a folder has both, as transformers does', () => {
      sharded();
      writeSafetensors(path.join(dir, 'model.safetensors'), { only: norm() });
      const cp = openCheckpoint(dir);
      cp.close();
      assert.deepEqual([...cp.tensors.keys()], ['only']);
    });

    it('opens shards in a subfolder and shards that are symlinks (the Hugging Face cache layout)', () => {
      const blobs = path.join(dir, 'blobs');
      const snapshot = path.join(dir, 'snapshots', 'abc');
      writeCheckpointFolder(blobs, { weights: { 'b1.safetensors': { n: norm() } }, index: false });
      fs.mkdirSync(path.join(snapshot, 'sub'), { recursive: true });
      fs.symlinkSync(path.join(blobs, 'b1.safetensors'), path.join(snapshot, 'sub', 'model-1.safetensors'));
      for (const f of ['config.json', 'tokenizer.json']) fs.symlinkSync(path.join(blobs, f), path.join(snapshot, f));
      writeJson(snapshot, 'model.safetensors.index.json', { metadata: {}, weight_map: { n: 'sub/model-1.safetensors' } });
      const cp = openCheckpoint(snapshot);
      cp.close();
      assert.deepEqual([...cp.tensors.keys()], ['n']);
    });

    it('closes every shard on close(), leaking no descriptor, and refuses reads after it', () => {
      sharded();
      const before = openFds();
      const cp = openCheckpoint(dir);
      assert.equal(openFds(), before + 2);
      cp.close();
      cp.close();
      assert.equal(openFds(), before);
      expectRefusal(() => cp.readFloat32('lm_head.weight'), path.join(dir, 'model-00002-of-00002.safetensors'), /closed/);
    });

    it('leaves no descriptor open when a later shard is refused', () => {
      sharded();
      writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), { 'lm_head.weight': head() }, { truncateBy: 1 });
      const before = openFds();
      for (let i = 0; i < 10; i++) assert.throws(() => openCheckpoint(dir), ConvertError);
      assert.equal(openFds(), before);
    });
  });

  describe('refusals', () => {
    it('a folder that does not exist, or a file', () => {
      const missing = path.join(dir, 'nope');
      expectRefusal(() => openCheckpoint(missing), missing, /no such folder/);
      const file = writeJson(dir, 'x.json', {});
      expectRefusal(() => openCheckpoint(file), file, /not a folder/);
    });

    it('a missing, invalid or oversized config.json', () => {
      writeCheckpointFolder(dir, { weights: { 'model.safetensors': { n: norm() } } });
      const config = path.join(dir, 'config.json');
      fs.rmSync(config);
      expectRefusal(() => openCheckpoint(dir), config, /missing/);
      writeJson(dir, 'config.json', '{"architectures": [');
      expectRefusal(() => openCheckpoint(dir), config, /not valid JSON/);
      writeJson(dir, 'config.json', '["Qwen2ForCausalLM"]');
      expectRefusal(() => openCheckpoint(dir), config, /expected a JSON object/);
      fs.truncateSync(config, MAX_JSON_BYTES + 1); // sparse: refused by its size, never read
      expectRefusal(() => openCheckpoint(dir), config, /16777217 bytes, more than the 16777216/);
    });

    it('an invalid optional config', () => {
      writeCheckpointFolder(dir, { weights: { 'model.safetensors': { n: norm() } } });
      const file = writeJson(dir, 'tokenizer_config.json', '{');
      expectRefusal(() => openCheckpoint(dir), file, /not valid JSON/);
    });

    it('a missing tokenizer.json', () => {
      writeCheckpointFolder(dir, { weights: { 'model.safetensors': { n: norm() } }, tokenizer: false });
      expectRefusal(() => openCheckpoint(dir), dir, /no tokenizer\.json/);
    });

    it('PyTorch weights only, saying only safetensors checkpoints are supported', () => {
      writeCheckpointFolder(dir, { weights: {} });
      fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'x');
      expectRefusal(() => openCheckpoint(dir), dir, /only safetensors checkpoints are supported, and this folder's weights are pytorch_model\.bin/);
    });

    it('no weights at all, and shards without an index', () => {
      writeCheckpointFolder(dir, { weights: {} });
      expectRefusal(() => openCheckpoint(dir), dir, /no model weights \(model\.safetensors or model\.safetensors\.index\.json\)/);
      writeSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), { n: norm() });
      expectRefusal(() => openCheckpoint(dir), dir, /has model-00001-of-00002\.safetensors but no model\.safetensors\.index\.json/);
    });

    it('an index without a weight map, with an empty one, or with a non-string file', () => {
      const index = sharded();
      writeJson(dir, 'model.safetensors.index.json', { metadata: {} });
      expectRefusal(() => openCheckpoint(dir), index, /no "weight_map" object/);
      writeJson(dir, 'model.safetensors.index.json', { weight_map: {} });
      expectRefusal(() => openCheckpoint(dir), index, /lists no tensors/);
      writeJson(dir, 'model.safetensors.index.json', { weight_map: { a: 3 } });
      expectRefusal(() => openCheckpoint(dir), index, /tensor "a" maps to 3, not a file name/);
    });

    it('a shard outside the folder: absolute, climbing out with .., or the folder itself', () => {
      const index = sharded();
      const cases: [string, RegExp][] = [
        ['/etc/passwd', /is an absolute path/],
        ['C:\\weights\\model.safetensors', /is an absolute path/],
        ['\\\\server\\share\\model.safetensors', /is an absolute path/],
        ['../model.safetensors', /climbs out of the checkpoint folder/],
        ['sub/../../model.safetensors', /climbs out/],
        ['sub\\..\\..\\model.safetensors', /climbs out/],
        ['.', /is not a file inside the checkpoint folder/],
        ['', /is not a file name/],
      ];
      for (const [shard, reason] of cases) {
        editIndex((map) => (map['lm_head.weight'] = shard));
        expectRefusal(() => openCheckpoint(dir), index, reason);
      }
    });

    it('a shard the index names that is missing from the folder', () => {
      const index = sharded();
      fs.rmSync(path.join(dir, 'model-00002-of-00002.safetensors'));
      expectRefusal(() => openCheckpoint(dir), index, /names shard "model-00002-of-00002\.safetensors", which is not in the folder/);
    });

    it('a tensor the index maps to a shard that does not hold it', () => {
      const index = sharded();
      editIndex((map) => (map['lm_head.weight'] = 'model-00001-of-00002.safetensors'));
      expectRefusal(() => openCheckpoint(dir), index, /maps tensor "lm_head\.weight" to "model-00001-of-00002\.safetensors", which does not hold it/);
    });

    it('a corrupt shard, naming the shard', () => {
      sharded();
      const shard = path.join(dir, 'model-00002-of-00002.safetensors');
      writeSafetensors(shard, { 'lm_head.weight': head() }, editEntry('lm_head.weight', (t) => (t.dtype = 'I64')));
      expectRefusal(() => openCheckpoint(dir), shard, /tensor "lm_head\.weight" has unsupported dtype "I64"/);
    });
  });
});
