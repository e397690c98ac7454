import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from '../../../src/modelFolder/errors';
import { MAX_CANVAS_TOKENS_LIMIT, MAX_CONTEXT_TOKENS_LIMIT, type ModelManifest, parseManifest, readManifest } from '../../../src/modelFolder/manifest';
import { loadTokenizer } from '../../../src/engine/tokenizer';
import { tempDir } from '../engine/fixtures';

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

describe('modelFolder/manifest', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.remove());

  it('reads a valid split manifest with absolute file paths', () => {
    writeModel(t.dir, splitManifest());
    const m = readManifest(t.dir);
    assert.ok(m.contract === 'split');
    assert.equal(m.files.context, path.join(t.dir, 'context.onnx'));
    assert.deepEqual(m.specialTokens, { mask: 0, pad: 1, bos: 2, eos: 3 });
    assert.deepEqual(m.kvCache, { layers: 2, heads: 2, headDim: 8 });
    assert.equal(m.contextAttention, 'bidirectional');
    assert.equal(m.maxSuffixGap, 0, 'no gap when dllm.json leaves it out');
    assert.equal(m.dir, t.dir);
  });

  it('reads a full manifest with null bos/eos and shifted logits', () => {
    const j = { ...splitManifest(), contract: 'full', files: { tokenizer: 'tokenizer.json', model: 'model.onnx' }, shiftedLogits: true, specialTokens: { mask: 0, pad: 1, bos: null, eos: null } };
    delete (j as Record<string, unknown>).kvCache;
    writeModel(t.dir, j, ['tokenizer.json', 'model.onnx']);
    const m = readManifest(t.dir);
    assert.ok(m.contract === 'full');
    assert.equal(m.shiftedLogits, true);
    assert.equal(m.specialTokens.bos, null);
    assert.equal(m.files.model, path.join(t.dir, 'model.onnx'));
  });

  it('reads the family and the prompt ends of a converted checkpoint; the extension\'s own models default to both ends', () => {
    const j = { ...splitManifest(), contract: 'full', files: { tokenizer: 'tokenizer.json', model: 'model.onnx' }, family: 'llada', bosFirst: true, eosLast: false };
    delete (j as Record<string, unknown>).kvCache;
    writeModel(t.dir, j, ['tokenizer.json', 'model.onnx']);
    const m = readManifest(t.dir);
    assert.equal(m.family, 'llada');
    assert.deepEqual(m.promptEnds, { bos: true, eos: false });
    const own = parseManifest(splitManifest(), t.dir);
    assert.equal(own.family, undefined);
    assert.deepEqual(own.promptEnds, { bos: true, eos: true });
    assert.throws(() => parseManifest({ ...splitManifest(), bosFirst: 'yes' }, t.dir), /"bosFirst" must be true or false/);
    assert.throws(() => parseManifest({ ...splitManifest(), family: 'Dream 7B!' }, t.dir), /"family" must be a short lower-case name/);
  });

  it('reads whether the model takes a suffix (a block-causal one does not); absent: it does', () => {
    assert.equal(parseManifest({ ...splitManifest(), takesSuffix: false }, t.dir).takesSuffix, false);
    assert.equal(parseManifest(splitManifest(), t.dir).takesSuffix, undefined);
    assert.throws(() => parseManifest({ ...splitManifest(), takesSuffix: 'no' }, t.dir), /"takesSuffix" must be true or false/);
  });

  it('reads the block length of a model that generates block by block; absent: none; refuses a non-integer or one outside 1..512', () => {
    assert.equal(parseManifest({ ...splitManifest(), blockLength: 4 }, t.dir).blockLength, 4);
    assert.equal(parseManifest(splitManifest(), t.dir).blockLength, undefined);
    for (const bad of [0, 513, 2.5, '4']) {
      assert.throws(() => parseManifest({ ...splitManifest(), blockLength: bad }, t.dir), /"blockLength" must be an integer from 1 to 512/);
    }
  });

  it('reads the expand and delete tokens of a model that changes its canvas length; absent: none; the delete token may be the end token', () => {
    assert.deepEqual(parseManifest({ ...splitManifest(), lengthTokens: { expand: 7, delete: 8 } }, t.dir).lengthTokens, { expand: 7, delete: 8 });
    assert.equal(parseManifest(splitManifest(), t.dir).lengthTokens, undefined);
    // DreamOn deletes with its eos, which its config.json also names as bos.
    assert.deepEqual(parseManifest({ ...splitManifest(), lengthTokens: { expand: 7, delete: 3 } }, t.dir).lengthTokens, { expand: 7, delete: 3 });
    assert.deepEqual(parseManifest({ ...splitManifest(), lengthTokens: { expand: 7, delete: 2 } }, t.dir).lengthTokens, { expand: 7, delete: 2 });
  });

  it('refuses length tokens outside the vocabulary, equal to each other, taken by the mask, or (for expand) by any special token', () => {
    const refused: [unknown, RegExp][] = [
      [7, /"lengthTokens" must be a JSON object/],
      [{ delete: 8 }, /"lengthTokens.expand" must be a token id from 0 to 299/],
      [{ expand: 300, delete: 8 }, /"lengthTokens.expand" must be a token id from 0 to 299/],
      [{ expand: 7, delete: -1 }, /"lengthTokens.delete" must be a token id from 0 to 299/],
      [{ expand: 7, delete: '8' }, /"lengthTokens.delete" must be a token id/],
      [{ expand: 7, delete: 7 }, /expand and delete must be different tokens/],
      [{ expand: 0, delete: 8 }, /"lengthTokens.expand" must not be the mask token \(0\)/],
      [{ expand: 1, delete: 8 }, /"lengthTokens.expand" must not be the pad token/],
      [{ expand: 2, delete: 8 }, /"lengthTokens.expand" must not be the bos token/],
      [{ expand: 3, delete: 8 }, /"lengthTokens.expand" must not be the eos token/],
      [{ expand: 7, delete: 0 }, /"lengthTokens.delete" must not be the mask token/],
    ];
    for (const [bad, reason] of refused) assert.throws(() => parseManifest({ ...splitManifest(), lengthTokens: bad }, t.dir), reason);
  });

  describe('one variant per contract', () => {
    /** The manifest `json` describes, or the reason it is refused. */
    const parse = (json: Record<string, unknown>): ModelManifest => parseManifest(json, t.dir);
    const refusal = (json: Record<string, unknown>): string => {
      try {
        parse(json);
      } catch (e) {
        assert.ok(e instanceof ModelLoadError, String(e));
        return e.reason;
      }
      assert.fail('the manifest was accepted');
    };
    const fullJson = (): Record<string, unknown> => ({ ...splitManifest(), contract: 'full', files: { tokenizer: 'tokenizer.json', model: 'model.onnx' } });

    it('refuses a split manifest without its cache shape or one of its graphs, naming the field and the contract', () => {
      const noCache = splitManifest();
      delete noCache.kvCache;
      assert.equal(refusal(noCache), 'missing required field "kvCache" (required by the split contract)');
      for (const graph of ['context', 'denoise']) {
        const files: Record<string, unknown> = { ...(splitManifest().files as object) };
        delete files[graph];
        assert.equal(refusal({ ...splitManifest(), files }), `missing required field "files.${graph}" (required by the split contract)`);
      }
      assert.equal(refusal({ ...splitManifest(), files: { ...(splitManifest().files as object), context: '' } }), '"files.context" must be a non-empty path');
    });

    it('refuses a full manifest without its graph, and one that names split-only settings', () => {
      assert.equal(refusal({ ...fullJson(), files: { tokenizer: 'tokenizer.json', context: 'context.onnx' } }), 'missing required field "files.model" (required by the full contract)');
      assert.equal(refusal({ ...fullJson(), files: { model: 'model.onnx' } }), 'missing required field "files.tokenizer"');
      assert.equal(refusal({ ...splitManifest(), shiftedLogits: true }), '"shiftedLogits" applies to the full contract only');
    });

    it('a full manifest holds no split fields; without the cached mode, no kvCache', () => {
      const j = fullJson();
      delete j.kvCache;
      const m = parse(j);
      assert.ok(m.contract === 'full');
      assert.deepEqual(Object.keys(m.files).sort(), ['model', 'tokenizer']);
      assert.ok(!('kvCache' in m), 'no kvCache');
      assert.ok(!('contextAttention' in m), 'no contextAttention');
      assert.equal(m.shiftedLogits, false, 'unshifted when dllm.json leaves it out');
    });

    it('reads the cached mode of a full manifest: its graph and its kvCache, both or neither', () => {
      const cachedFiles = { tokenizer: 'tokenizer.json', model: 'model.onnx', cached: 'cached.onnx' };
      const m = parse({ ...fullJson(), files: cachedFiles });
      assert.ok(m.contract === 'full');
      assert.deepEqual(m.kvCache, { layers: 2, heads: 2, headDim: 8 });
      assert.equal(m.files.cached, path.join(t.dir, 'cached.onnx'));
      assert.ok(!('earlierCachedGraphs' in m));
      const noCache: Record<string, unknown> = { ...fullJson(), files: cachedFiles };
      delete noCache.kvCache;
      assert.equal(refusal(noCache), 'missing required field "kvCache" (required by the cached mode\'s graph "files.cached")');
      // kvCache alone names a graph that is not there.
      assert.equal(refusal(fullJson()), 'missing required field "files.cached" (required by the cached mode)');
      assert.equal(refusal({ ...fullJson(), files: cachedFiles, kvCache: { layers: 2, heads: 0, headDim: 8 } }), '"kvCache.heads" must be an integer >= 1');
    });

    it('a folder with the two cached-mode graphs of an earlier conversion reads as exact mode, marked as such', () => {
      const m = parse({ ...fullJson(), files: { tokenizer: 'tokenizer.json', model: 'model.onnx', context: 'context.onnx', denoise: 'denoise.onnx' } });
      assert.ok(m.contract === 'full');
      assert.equal(m.earlierCachedGraphs, true);
      assert.ok(!('kvCache' in m), 'no cached mode');
      assert.deepEqual(Object.keys(m.files).sort(), ['model', 'tokenizer']);
    });

    it('reads maxSuffixGap on a split manifest, refuses a bad one and one on a full manifest', () => {
      const m = parse({ ...splitManifest(), contextAttention: 'causalSuffixFirst', maxSuffixGap: 64 });
      assert.ok(m.contract === 'split');
      assert.equal(m.maxSuffixGap, 64);
      assert.equal(refusal({ ...splitManifest(), maxSuffixGap: -1 }), '"maxSuffixGap" must be an integer >= 0');
      assert.equal(refusal({ ...splitManifest(), maxSuffixGap: 100_000 }), '"maxSuffixGap" is 100000, above the limit of 8192: lower it in dllm.json');
      assert.equal(refusal({ ...fullJson(), maxSuffixGap: 8 }), '"maxSuffixGap" applies to the split contract only');
    });

    it('a split manifest holds no full fields', () => {
      const m = parse({ ...splitManifest(), shiftedLogits: false });
      assert.ok(m.contract === 'split');
      assert.deepEqual(Object.keys(m.files).sort(), ['context', 'denoise', 'tokenizer']);
      assert.ok(!('shiftedLogits' in m), 'no shiftedLogits');
    });

    it('names the accepted contracts when it meets another, even one named like an object key', () => {
      for (const contract of ['weird', 'toString', 'constructor', 1, null]) {
        assert.equal(refusal({ ...splitManifest(), contract }), `unknown "contract" ${JSON.stringify(contract)} (expected "split" or "full")`);
      }
    });
  });

  it('missing folder', () => {
    const where = path.join(t.dir, 'nope');
    expectLoadError(() => readManifest(where), where, /does not exist/);
  });

  it('folder without dllm.json', () => {
    expectLoadError(() => readManifest(t.dir), t.dir, /^it has no dllm\.json manifest$/);
  });

  it('bad JSON', () => {
    writeModel(t.dir, '{ "format": 1,');
    expectLoadError(() => readManifest(t.dir), t.dir, /^dllm\.json is not valid JSON/);
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

  describe('files stay inside the model folder', () => {
    const SECRET = 'top-secret-line-4711: do not show';
    let outside: ReturnType<typeof tempDir>;
    beforeEach(() => {
      outside = tempDir();
      fs.writeFileSync(path.join(outside.dir, 'secret.txt'), `${SECRET}\nmore\n`);
    });
    afterEach(() => outside.remove());

    /** Asserts the load fails naming `files.tokenizer`, the rule, and none of the secret. */
    function expectOutside(reason: RegExp) {
      expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'dllm.json'), /"files\.tokenizer" must be a path inside the model folder/);
      assert.throws(() => readManifest(t.dir), (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.match(e.message, reason);
        assert.ok(!e.message.includes('top-secret'), `the file's content leaked: ${e.message}`);
        return true;
      });
    }

    it('refuses a path that climbs out with ..', () => {
      const escape = path.relative(t.dir, path.join(outside.dir, 'secret.txt'));
      assert.ok(escape.startsWith('..'));
      writeModel(t.dir, { ...splitManifest(), files: { ...(splitManifest().files as object), tokenizer: escape } });
      expectOutside(/not ".*secret\.txt"/);
    });

    it('refuses an absolute path, even to a file inside the folder', () => {
      writeModel(t.dir, { ...splitManifest(), files: { ...(splitManifest().files as object), tokenizer: path.join(outside.dir, 'secret.txt') } });
      expectOutside(/relative to it/);
      writeModel(t.dir, { ...splitManifest(), files: { ...(splitManifest().files as object), tokenizer: path.join(t.dir, 'tokenizer.json') } });
      expectOutside(/relative to it/);
    });

    it('follows a link out of the folder: the path in dllm.json stays inside, and download caches link files that way', function () {
      writeModel(t.dir, splitManifest(), ['context.onnx', 'denoise.onnx']);
      try {
        fs.symlinkSync(path.join(outside.dir, 'secret.txt'), path.join(t.dir, 'tokenizer.json'));
      } catch {
        this.skip(); // no symlinks without privileges on Windows
      }
      assert.equal(readManifest(t.dir).files.tokenizer, path.join(t.dir, 'tokenizer.json'));
    });

    it('accepts a link that stays inside, and a folder reached through a link', function () {
      writeModel(t.dir, splitManifest(), ['real-tokenizer.json', 'context.onnx', 'denoise.onnx']);
      const linked = path.join(outside.dir, 'linked-model');
      try {
        fs.symlinkSync(path.join(t.dir, 'real-tokenizer.json'), path.join(t.dir, 'tokenizer.json'));
        fs.symlinkSync(t.dir, linked);
      } catch {
        this.skip();
      }
      assert.equal(readManifest(t.dir).files.tokenizer, path.join(t.dir, 'tokenizer.json'));
      assert.equal(readManifest(linked).files.tokenizer, path.join(linked, 'tokenizer.json'));
    });
  });

  it('refuses context and canvas sizes above the limits, naming the field, the value and the limit', () => {
    assert.equal(MAX_CONTEXT_TOKENS_LIMIT, 8192);
    assert.equal(MAX_CANVAS_TOKENS_LIMIT, 512);
    writeModel(t.dir, { ...splitManifest(), maxContextTokens: 100_000 });
    expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'dllm.json'), /"maxContextTokens" is 100000, above the limit of 8192/);
    writeModel(t.dir, { ...splitManifest(), maxCanvasTokens: 513 });
    expectLoadError(() => readManifest(t.dir), path.join(t.dir, 'dllm.json'), /"maxCanvasTokens" is 513, above the limit of 512/);
    writeModel(t.dir, { ...splitManifest(), maxContextTokens: 8192, maxCanvasTokens: 512 });
    assert.equal(readManifest(t.dir).maxCanvasTokens, 512, 'the limits themselves are allowed');
  });

  it('a tokenizer file that is not JSON fails without quoting its content', () => {
    writeModel(t.dir, splitManifest());
    const file = readManifest(t.dir).files.tokenizer;
    for (const [text, reason] of [
      ['root:x:0:0:secret-first-line:/root:/bin/bash\n', /^the tokenizer file is not valid JSON \(at position 0\)$/],
      ['\n  secret-first-line', /^the tokenizer file is not valid JSON \(at position 3\)$/],
      ['{"secret-first-line": 1 2}', /^the tokenizer file is not valid JSON \(at position 24\)$/],
      ['["secret-first-line",]', /^the tokenizer file is not valid JSON$/],
      ['{"secret-first-line": ', /^the tokenizer file is not valid JSON \(it ends too early\)$/],
    ] as const) {
      fs.writeFileSync(file, text);
      expectLoadError(() => loadTokenizer(file), file, reason);
      assert.throws(() => loadTokenizer(file), (e: unknown) => {
        assert.ok(e instanceof Error && !e.message.includes('secret'), `the file's content leaked: ${String(e)}`);
        return true;
      });
    }
  });

  it('a manifest that is not JSON fails without quoting its content', () => {
    writeModel(t.dir, 'secret-first-line\n{}');
    expectLoadError(() => readManifest(t.dir), t.dir, /^dllm\.json is not valid JSON \(at position 0\)$/);
  });
});
