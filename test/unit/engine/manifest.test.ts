import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from '../../../src/engine/errors';
import { readManifest } from '../../../src/engine/manifest';
import { tempDir } from './fixtures';

function splitManifest(): Record<string, unknown> {
  return {
    format: 1,
    name: 'test-model',
    license: 'MIT',
    contract: 'split',
    files: { tokenizer: 'tokenizer.json', context: 'context.onnx', denoise: 'denoise.onnx' },
    vocabSize: 300,
    specialTokens: { mask: 0, pad: 1, bos: 2, eos: 3 },
    languageTokens: { python: 4, other: 5 },
    maxContextTokens: 512,
    maxCanvasTokens: 64,
    kvCache: { layers: 2, heads: 2, headDim: 8 },
  };
}

/** Writes a model folder with the manifest and every file it names. */
function writeModel(dir: string, manifest: Record<string, unknown> | string, files = ['tokenizer.json', 'context.onnx', 'denoise.onnx']) {
  fs.writeFileSync(path.join(dir, 'dllm.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  for (const f of files) fs.writeFileSync(path.join(dir, f), 'x');
}

/** Asserts a ModelLoadError whose message names `where` and matches `reason`. */
function expectLoadError(fn: () => unknown, where: string, reason: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelLoadError, `expected ModelLoadError, got ${String(e)}`);
    assert.equal(e.path, where);
    assert.ok(e.message.includes(where), `message names the path: ${e.message}`);
    assert.match(e.reason, reason);
    return true;
  });
}

describe('engine/manifest', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.remove());

  it('reads a valid split manifest with absolute file paths', () => {
    writeModel(t.dir, splitManifest());
    const m = readManifest(t.dir);
    assert.equal(m.contract, 'split');
    assert.equal(m.files.context, path.join(t.dir, 'context.onnx'));
    assert.deepEqual(m.specialTokens, { mask: 0, pad: 1, bos: 2, eos: 3 });
    assert.deepEqual(m.kvCache, { layers: 2, heads: 2, headDim: 8 });
    assert.equal(m.shiftedLogits, false);
    assert.equal(m.dir, t.dir);
  });

  it('reads a full manifest with null bos/eos and shifted logits', () => {
    const j = { ...splitManifest(), contract: 'full', files: { tokenizer: 'tokenizer.json', model: 'model.onnx' }, shiftedLogits: true, specialTokens: { mask: 0, pad: 1, bos: null, eos: null } };
    delete (j as Record<string, unknown>).kvCache;
    writeModel(t.dir, j, ['tokenizer.json', 'model.onnx']);
    const m = readManifest(t.dir);
    assert.equal(m.contract, 'full');
    assert.equal(m.shiftedLogits, true);
    assert.equal(m.specialTokens.bos, null);
    assert.equal(m.files.model, path.join(t.dir, 'model.onnx'));
  });

  it('missing folder', () => {
    const where = path.join(t.dir, 'nope');
    expectLoadError(() => readManifest(where), where, /does not exist/);
  });

  it('folder without dllm.json', () => {
    expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'dllm.json'), /missing dllm\.json/);
  });

  it('bad JSON', () => {
    writeModel(t.dir, '{ "format": 1,');
    expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'dllm.json'), /bad JSON/);
  });

  it('unknown contract, unsupported format', () => {
    writeModel(t.dir, { ...splitManifest(), contract: 'weird' });
    expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'dllm.json'), /unknown "contract" "weird"/);
    writeModel(t.dir, { ...splitManifest(), format: 2 });
    expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'dllm.json'), /unsupported "format"/);
  });

  it('missing required fields are named', () => {
    for (const field of ['name', 'vocabSize', 'maxContextTokens', 'maxCanvasTokens', 'files', 'specialTokens', 'kvCache', 'contract']) {
      const j = splitManifest();
      delete j[field];
      writeModel(t.dir, j);
      expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'dllm.json'), new RegExp(`"${field}"`));
    }
  });

  it('bad types and token ids outside the vocabulary', () => {
    writeModel(t.dir, { ...splitManifest(), vocabSize: '300' });
    expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'dllm.json'), /"vocabSize" must be an integer/);
    writeModel(t.dir, { ...splitManifest(), specialTokens: { mask: 0, pad: 300, bos: 2, eos: 3 } });
    expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'dllm.json'), /specialTokens\.pad.*vocabSize=300/);
    writeModel(t.dir, { ...splitManifest(), languageTokens: { python: -1 } });
    expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'dllm.json'), /languageTokens\.python/);
    writeModel(t.dir, { ...splitManifest(), kvCache: { layers: 2, heads: 0, headDim: 8 } });
    expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'dllm.json'), /kvCache\.heads/);
    writeModel(t.dir, { ...splitManifest(), files: { tokenizer: 'tokenizer.json', context: 'context.onnx' } });
    expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'dllm.json'), /files\.denoise/);
  });

  it('ignores informational fields and reads the optional shared weights file', () => {
    const architecture = { family: 'dllm-split', d_model: 16, n_layers: 2, storage: 'int8' };
    const files = { tokenizer: 'tokenizer.json', context: 'context.onnx', denoise: 'denoise.onnx', weights: 'weights.bin' };
    writeModel(t.dir, { ...splitManifest(), files, architecture }, [...Object.values(files)]);
    const m = readManifest(t.dir);
    assert.equal(m.files.weights, path.join(t.dir, 'weights.bin'));
    assert.ok(!('architecture' in m));
  });

  it('a shared weights file named in the manifest is missing', () => {
    const files = { tokenizer: 'tokenizer.json', context: 'context.onnx', denoise: 'denoise.onnx', weights: 'weights.bin' };
    writeModel(t.dir, { ...splitManifest(), files });
    expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'weights.bin'), /missing file/);
  });

  it('a file named in the manifest is missing', () => {
    writeModel(t.dir, splitManifest(), ['tokenizer.json', 'context.onnx']);
    expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'denoise.onnx'), /missing file/);
  });
});
