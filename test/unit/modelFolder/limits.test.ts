import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from '../../../src/modelFolder/errors';
import { KV_CACHE_LIMITS, MAX_KV_BYTES_PER_TOKEN, MAX_MANIFEST_BYTES, MAX_VOCAB_SIZE_LIMIT } from '../../../src/modelFolder/limits';
import { readManifest } from '../../../src/modelFolder/manifest';
import { tempDir } from '../engine/fixtures';

function splitManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 1,
    name: 'test-model',
    contract: 'split',
    files: { tokenizer: 'tokenizer.json', context: 'context.onnx', denoise: 'denoise.onnx' },
    vocabSize: 300,
    specialTokens: { mask: 0, pad: 1, bos: 2, eos: 3 },
    maxContextTokens: 512,
    maxCanvasTokens: 64,
    kvCache: { layers: 2, heads: 2, headDim: 8 },
    ...overrides,
  };
}

describe('modelFolder/limits: the sizes a manifest may state', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir();
    for (const f of ['tokenizer.json', 'context.onnx', 'denoise.onnx']) fs.writeFileSync(path.join(t.dir, f), 'x');
  });
  afterEach(() => t.remove());

  /** The reason readManifest refuses `manifest` with, or undefined when it reads it. */
  /** Why readManifest refuses `manifest`; the refusal is of `where` (the manifest, or the folder for the folder's own problems). */
  function refusal(manifest: Record<string, unknown> | string, where = path.join(t.dir, 'dllm.json')): string | undefined {
    fs.writeFileSync(path.join(t.dir, 'dllm.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
    try {
      readManifest(t.dir);
      return undefined;
    } catch (e) {
      assert.ok(e instanceof ModelLoadError, String(e));
      assert.equal(e.path, where);
      return e.reason;
    }
  }

  it('bounds the vocabulary well above every published model (about 262 000 at most)', () => {
    assert.equal(MAX_VOCAB_SIZE_LIMIT, 1_048_576);
    assert.equal(refusal(splitManifest({ vocabSize: 2e9 })), '"vocabSize" is 2000000000, above the limit of 1048576: lower it in dllm.json');
    assert.equal(refusal(splitManifest({ vocabSize: 1_048_577 })), '"vocabSize" is 1048577, above the limit of 1048576: lower it in dllm.json');
    assert.equal(refusal(splitManifest({ vocabSize: 1_048_576 })), undefined, 'the limit itself is allowed');
    assert.equal(refusal(splitManifest({ vocabSize: 262_208 })), undefined, "Gemma 3's vocabulary");
  });

  it('bounds each dimension of the cache shape, naming the field', () => {
    for (const [key, limit] of Object.entries(KV_CACHE_LIMITS)) {
      const kvCache = { layers: 2, heads: 2, headDim: 8, [key]: limit + 1 };
      assert.equal(refusal(splitManifest({ kvCache })), `"kvCache.${key}" is ${limit + 1}, above the limit of ${limit}: lower it in dllm.json`);
    }
  });

  it("bounds the cache's bytes per context token, which the dimensions alone do not", () => {
    assert.equal(MAX_KV_BYTES_PER_TOKEN, 16 * 2 ** 20);
    // 2 × 512 × 512 × 1024 × 4 bytes = 2 GiB of keys and values for each context token.
    assert.equal(
      refusal(splitManifest({ kvCache: { layers: 512, heads: 512, headDim: 1024 } })),
      '"kvCache" holds 2147483648 bytes of keys and values per context token (2 × layers × heads × headDim × 4), above the limit of 16777216: lower it in dllm.json',
    );
    // LLaDA-8B's shape (32 layers, 32 heads of 128) is 1 MiB per token.
    assert.equal(refusal(splitManifest({ kvCache: { layers: 32, heads: 32, headDim: 128 } })), undefined);
  });

  it('refuses a manifest file far larger than any manifest before reading it', () => {
    assert.equal(MAX_MANIFEST_BYTES, 2 ** 20);
    const padded = JSON.stringify(splitManifest()).replace('{', `{${' '.repeat(MAX_MANIFEST_BYTES)}`);
    assert.equal(refusal(padded, t.dir), `dllm.json is ${padded.length} bytes, above the limit of 1048576 (not a model manifest?)`);
  });
});
