/**
 * The split contract's `contextAttention`: the manifest field, the order of the context tokens
 * (golden cases from models/train/dllm_train/model/layout.py), and the context graph's inputs checked at load.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { engineFrom, loadEngine } from '../../../src/engine/engine';
import { ModelLoadError } from '../../../src/modelFolder/errors';
import { type ContextAttention, parseManifest } from '../../../src/modelFolder/manifest';
import { type SequenceLayout, canvasOffset, contextTokens } from '../../../src/engine/runners/model';
import { TensorType, model, node, valueInfo } from '../../../src/engine/runners/onnxProto';
import { SPLIT_CAUSAL_CONTEXT_IO, SPLIT_CONTEXT_IO, SplitModel, splitContextIO } from '../../../src/engine/runners/split';
import { contractMismatch } from '../../../src/engine/session';
import { loadTokenizer } from '../../../src/engine/tokenizer';
import { TINY_VOCAB, idsAsLogitsNodes, tempDir, tinyTokenizerJson } from './fixtures';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

function splitJson(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 1,
    name: 'test-model',
    contract: 'split',
    files: { tokenizer: 'tokenizer.json', context: 'context.onnx', denoise: 'denoise.onnx' },
    vocabSize: TINY_VOCAB,
    specialTokens: { mask: 0, pad: 1, bos: 2, eos: 3 },
    languageTokens: { python: 4, other: 5 },
    maxContextTokens: 64,
    maxCanvasTokens: 16,
    // headDim 1: the test graphs below echo each context token's id and position as its key and value.
    kvCache: { layers: 1, heads: 1, headDim: 1 },
    ...extra,
  };
}

function fullJson(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const j: Record<string, unknown> = { ...splitJson(extra), contract: 'full', files: { tokenizer: 'tokenizer.json', model: 'model.onnx' } };
  delete j.kvCache;
  return j;
}

function expectRefused(json: unknown, reason: RegExp) {
  assert.throws(
    () => parseManifest(json, '/models/m'),
    (e: unknown) => {
      assert.ok(e instanceof ModelLoadError, String(e));
      assert.equal(e.path, path.join('/models/m', 'dllm.json'));
      assert.match(e.reason, reason);
      return true;
    },
  );
}

/** The contextAttention a split manifest reads as. */
function contextAttentionOf(json: unknown): ContextAttention {
  const m = parseManifest(json, '/models/m');
  assert.ok(m.contract === 'split');
  return m.contextAttention;
}

describe('engine: contextAttention in dllm.json', () => {
  it('absent on a split model: bidirectional, as before the field existed', () => {
    assert.equal(contextAttentionOf(splitJson()), 'bidirectional');
  });

  it('reads each value', () => {
    for (const a of ['bidirectional', 'causalSuffixFirst']) {
      assert.equal(contextAttentionOf(splitJson({ contextAttention: a })), a);
    }
  });

  it('refuses an unknown value, naming it and the accepted ones', () => {
    for (const bad of ['causal', 'CausalSuffixFirst', '', 1, null, true]) {
      expectRefused(splitJson({ contextAttention: bad }), /unknown "contextAttention" .*expected "bidirectional" or "causalSuffixFirst"/);
    }
  });

  it('refuses it on the full contract, which has no context graph', () => {
    for (const a of ['bidirectional', 'causalSuffixFirst']) {
      expectRefused(fullJson({ contextAttention: a }), /"contextAttention" applies to the split contract only/);
    }
    assert.ok(!('contextAttention' in parseManifest(fullJson(), '/models/m')));
  });
});

interface LayoutCase {
  head: number[];
  prefix: number[];
  suffix: number[];
  tail: number[];
  canvasLength: number;
  attention: ContextAttention;
  ids: number[];
  positions: number[];
  canvas: number[];
}

/**
 * Printed by models/train/dllm_train/model/layout.py `request_layout(head, prefix, suffix, tail, canvas_len,
 * attention)` (context_ids, context_pos, canvas_pos).
 */
const GOLDEN: LayoutCase[] = [
  { head: [2, 5], prefix: [10, 11, 12], suffix: [20, 21], tail: [3], canvasLength: 4, attention: 'bidirectional', ids: [2, 5, 10, 11, 12, 20, 21, 3], positions: [0, 1, 2, 3, 4, 9, 10, 11], canvas: [5, 6, 7, 8] },
  { head: [2, 5], prefix: [10, 11, 12], suffix: [20, 21], tail: [3], canvasLength: 4, attention: 'causalSuffixFirst', ids: [2, 5, 20, 21, 3, 10, 11, 12], positions: [0, 1, 9, 10, 11, 2, 3, 4], canvas: [5, 6, 7, 8] },
  // No language token, no eos.
  { head: [2], prefix: [10, 11], suffix: [20], tail: [], canvasLength: 3, attention: 'bidirectional', ids: [2, 10, 11, 20], positions: [0, 1, 2, 6], canvas: [3, 4, 5] },
  { head: [2], prefix: [10, 11], suffix: [20], tail: [], canvasLength: 3, attention: 'causalSuffixFirst', ids: [2, 20, 10, 11], positions: [0, 6, 1, 2], canvas: [3, 4, 5] },
  // Empty prefix.
  { head: [2, 5], prefix: [], suffix: [20, 21, 22], tail: [3], canvasLength: 2, attention: 'bidirectional', ids: [2, 5, 20, 21, 22, 3], positions: [0, 1, 4, 5, 6, 7], canvas: [2, 3] },
  { head: [2, 5], prefix: [], suffix: [20, 21, 22], tail: [3], canvasLength: 2, attention: 'causalSuffixFirst', ids: [2, 5, 20, 21, 22, 3], positions: [0, 1, 4, 5, 6, 7], canvas: [2, 3] },
  // Empty suffix.
  { head: [2, 5], prefix: [10, 11], suffix: [], tail: [3], canvasLength: 5, attention: 'bidirectional', ids: [2, 5, 10, 11, 3], positions: [0, 1, 2, 3, 9], canvas: [4, 5, 6, 7, 8] },
  { head: [2, 5], prefix: [10, 11], suffix: [], tail: [3], canvasLength: 5, attention: 'causalSuffixFirst', ids: [2, 5, 3, 10, 11], positions: [0, 1, 9, 2, 3], canvas: [4, 5, 6, 7, 8] },
  // No head at all (bos null, no language tokens).
  { head: [], prefix: [10], suffix: [20], tail: [], canvasLength: 1, attention: 'bidirectional', ids: [10, 20], positions: [0, 2], canvas: [1] },
  { head: [], prefix: [10], suffix: [20], tail: [], canvasLength: 1, attention: 'causalSuffixFirst', ids: [20, 10], positions: [2, 0], canvas: [1] },
  // Neither prefix nor suffix.
  { head: [2, 5], prefix: [], suffix: [], tail: [3], canvasLength: 4, attention: 'causalSuffixFirst', ids: [2, 5, 3], positions: [0, 1, 6], canvas: [2, 3, 4, 5] },
];

const canvasPositions = (l: SequenceLayout) => Array.from({ length: l.canvasLength }, (_, j) => canvasOffset(l) + j);

describe('engine: context order and positions', () => {
  for (const g of GOLDEN) {
    it(`${g.attention}: head ${g.head.length}, prefix ${g.prefix.length}, suffix ${g.suffix.length}, tail ${g.tail.length}, canvas ${g.canvasLength}`, () => {
      const layout: SequenceLayout = g;
      assert.deepEqual(contextTokens(layout, g.attention), { ids: g.ids, positions: g.positions });
      assert.deepEqual(canvasPositions(layout), g.canvas);
    });
  }

  it('bidirectional is the default order', () => {
    const g = GOLDEN[0]!;
    assert.deepEqual(contextTokens(g), contextTokens(g, 'bidirectional'));
  });

  it('agrees with models/train/dllm_train/model/layout.py on random layouts', function () {
    const python = '/usr/bin/python3';
    if (!fs.existsSync(python)) this.skip();
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const ids = (n: number) => Array.from({ length: n }, () => 10 + rand(1000));
    const cases = Array.from({ length: 40 }, (_, i) => {
      const attention: ContextAttention = i % 2 === 0 ? 'bidirectional' : 'causalSuffixFirst';
      return { head: ids(rand(3)), prefix: ids(rand(12)), suffix: ids(rand(12)), tail: ids(rand(2)), canvasLength: 1 + rand(16), attention };
    });
    const script = [
      'import json, sys',
      'from dllm_train.model.layout import request_layout',
      'out = []',
      'for c in json.loads(sys.stdin.read()):',
      '    l = request_layout(c["head"], c["prefix"], c["suffix"], c["tail"], c["canvasLength"], c["attention"])',
      '    out.append({"ids": l.context_ids, "positions": l.context_pos, "canvas": l.canvas_pos})',
      'print(json.dumps(out))',
    ].join('\n');
    const want = JSON.parse(execFileSync(python, ['-c', script], { cwd: path.join(repoRoot, 'models', 'train'), input: JSON.stringify(cases), encoding: 'utf8' })) as { ids: number[]; positions: number[]; canvas: number[] }[];
    cases.forEach((c, i) => {
      assert.deepEqual(contextTokens(c, c.attention), { ids: want[i]!.ids, positions: want[i]!.positions }, JSON.stringify(c));
      assert.deepEqual(canvasPositions(c), want[i]!.canvas);
    });
  });
});

/**
 * A context graph whose keys are its input ids and whose values are its positions, as
 * [1, 1, 1, C, 1]; with `past`, it also takes (and ignores) past_keys/past_values.
 */
function echoContextGraph(past: boolean): Uint8Array {
  const kv = [1, 1, 1, 'C', 1];
  const pastKv = [1, 1, 1, 'P', 1];
  return model(
    {
      name: 'context',
      nodes: [
        node('Constant', [], ['kv_shape'], [{ name: 'value_ints', ints: [1, 1, 1, -1, 1] }]),
        node('Cast', ['input_ids'], ['ids_f'], [{ name: 'to', int: TensorType.float }]),
        node('Cast', ['position_ids'], ['pos_f'], [{ name: 'to', int: TensorType.float }]),
        node('Reshape', ['ids_f', 'kv_shape'], ['keys']),
        node('Reshape', ['pos_f', 'kv_shape'], ['values']),
      ],
      inputs: [
        valueInfo('input_ids', TensorType.int64, [1, 'C']),
        valueInfo('position_ids', TensorType.int64, [1, 'C']),
        ...(past ? [valueInfo('past_keys', TensorType.float, pastKv), valueInfo('past_values', TensorType.float, pastKv)] : []),
      ],
      outputs: [valueInfo('keys', TensorType.float, kv), valueInfo('values', TensorType.float, kv)],
    },
    17,
  );
}

/** A denoise graph of the contract's names and shapes: logits [1, N, V] all equal to the canvas id. */
function flatDenoiseGraph(vocab: number): Uint8Array {
  const kv = [1, 1, 1, 'C', 1];
  return model(
    {
      name: 'denoise',
      nodes: idsAsLogitsNodes('canvas_ids', vocab),
      inputs: [
        valueInfo('canvas_ids', TensorType.int64, [1, 'N']),
        valueInfo('canvas_position_ids', TensorType.int64, [1, 'N']),
        valueInfo('keys', TensorType.float, kv),
        valueInfo('values', TensorType.float, kv),
      ],
      outputs: [valueInfo('logits', TensorType.float, [1, 'N', vocab])],
    },
    17,
  );
}

describe('engine: the context graph checked against contextAttention', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.remove());

  function writeFolder(manifest: Record<string, unknown>, graphHasPast: boolean) {
    fs.writeFileSync(path.join(t.dir, 'dllm.json'), JSON.stringify(manifest));
    fs.writeFileSync(path.join(t.dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
    fs.writeFileSync(path.join(t.dir, 'context.onnx'), echoContextGraph(graphHasPast));
    fs.writeFileSync(path.join(t.dir, 'denoise.onnx'), flatDenoiseGraph(TINY_VOCAB));
  }

  it('expects past_keys/past_values exactly for causalSuffixFirst', () => {
    assert.equal(splitContextIO('bidirectional'), SPLIT_CONTEXT_IO);
    assert.equal(splitContextIO('causalSuffixFirst'), SPLIT_CAUSAL_CONTEXT_IO);
    const plain = ['input_ids', 'position_ids'];
    const withPast = [...plain, 'past_keys', 'past_values'];
    const outputs = ['keys', 'values'];
    assert.equal(contractMismatch(SPLIT_CAUSAL_CONTEXT_IO, withPast, outputs), undefined);
    assert.equal(contractMismatch(SPLIT_CONTEXT_IO, plain, outputs), undefined);
    assert.match(contractMismatch(SPLIT_CAUSAL_CONTEXT_IO, plain, outputs)!, /missing inputs \[past_keys, past_values\]/);
    assert.match(contractMismatch(SPLIT_CONTEXT_IO, withPast, outputs)!, /unexpected inputs \[past_keys, past_values\]/);
  });

  for (const [attention, graphHasPast, reason] of [
    ['causalSuffixFirst', false, /does not match the contract: missing inputs \[past_keys, past_values\]/],
    [undefined, true, /does not match the contract: unexpected inputs \[past_keys, past_values\]/],
    ['bidirectional', true, /unexpected inputs \[past_keys, past_values\]/],
  ] as const) {
    it(`refuses a context graph ${graphHasPast ? 'with' : 'without'} past inputs when dllm.json says ${attention ?? 'nothing'}`, async () => {
      writeFolder(splitJson(attention === undefined ? {} : { contextAttention: attention }), graphHasPast);
      const file = path.join(t.dir, 'context.onnx');
      await assert.rejects(loadEngine({ modelDir: t.dir, device: 'cpu', threads: 1 }), (e: unknown) => {
        assert.ok(e instanceof ModelLoadError, String(e));
        assert.equal(e.path, file);
        assert.ok(e.message.includes(file), e.message);
        assert.match(e.reason, reason);
        return true;
      });
    });
  }

  /** A SplitModel on the folder's graphs whose context session records what it is fed. */
  async function watchedModel(attention: ContextAttention) {
    const options = { intraOpNumThreads: 1 };
    const context = await ort.InferenceSession.create(path.join(t.dir, 'context.onnx'), options);
    const denoise = await ort.InferenceSession.create(path.join(t.dir, 'denoise.onnx'), options);
    const feeds: Record<string, ort.Tensor>[] = [];
    const watched = {
      run: (f: Record<string, ort.Tensor>) => (feeds.push(f), context.run(f)),
      release: () => context.release(),
    } as unknown as ort.InferenceSession; // only run and release are used
    return { split: new SplitModel(watched, denoise, TINY_VOCAB, { layers: 1, heads: 1, headDim: 1 }, attention), feeds };
  }

  const layout: SequenceLayout = { head: [2, 4], prefix: [10, 11, 12], canvasLength: 4, suffix: [20, 21], tail: [3] };
  const numbers = (t: ort.Tensor) => Array.from(t.data as BigInt64Array | Float32Array, Number);

  it('a causal model loads, answers, and takes its context suffix first at document positions with an empty past', async () => {
    writeFolder(splitJson({ contextAttention: 'causalSuffixFirst' }), true);
    const engine = await loadEngine({ modelDir: t.dir, device: 'cpu', threads: 1 });
    try {
      const out = await engine.infill({ prefix: 'ab', suffix: 'xyz', language: 'python', maxTokens: 4, stepBudget: 2, sampler: { kind: 'saber' } });
      assert.ok(out.stats.forwardPasses >= 1);
    } finally {
      await engine.dispose();
    }

    const { split, feeds } = await watchedModel('causalSuffixFirst');
    try {
      const pass = await split.begin(layout);
      pass.release();
      const fed = feeds[0]!;
      assert.deepEqual(numbers(fed.input_ids!), [2, 4, 20, 21, 3, 10, 11, 12]);
      assert.deepEqual(numbers(fed.position_ids!), [0, 1, 9, 10, 11, 2, 3, 4]);
      assert.deepEqual(fed.past_keys!.dims, [1, 1, 1, 0, 1]);
      assert.deepEqual(fed.past_values!.dims, [1, 1, 1, 0, 1]);

      // encodeContext: keys/values of the given tokens only, in the order given.
      const kv = await split.encodeContext([20, 10], [9, 2]);
      assert.deepEqual(numbers(kv.keys), [20, 10]);
      assert.deepEqual(numbers(kv.values), [9, 2]);
      assert.deepEqual(kv.keys.dims, [1, 1, 1, 2, 1]);
      // Tokens after those (a later keystroke's): the earlier K/V go in as the past.
      await split.encodeContext([13], [5], kv);
      assert.deepEqual(feeds.at(-1)!.past_keys!.dims, [1, 1, 1, 2, 1]);
      assert.equal(feeds.at(-1)!.past_values, kv.values);
    } finally {
      await split.dispose();
    }
  });

  it('the engine lays out a request without eos or language tokens: bos, suffix, prefix', async () => {
    const json = splitJson({ contextAttention: 'causalSuffixFirst', specialTokens: { mask: 0, pad: 1, bos: 2, eos: null } });
    delete json.languageTokens;
    writeFolder(json, true);
    const { split, feeds } = await watchedModel('causalSuffixFirst');
    const engine = engineFrom({
      manifest: parseManifest(json, t.dir),
      tokenizer: loadTokenizer(path.join(t.dir, 'tokenizer.json')),
      model: split,
      device: { provider: 'cpu', kind: 'cpu', threads: 1 },
      warnings: [],
    });
    try {
      await engine.infill({ prefix: 'ab', suffix: 'xyz', language: 'python', maxTokens: 4, stepBudget: 1, sampler: { kind: 'saber' } });
      // The tiny tokenizer's byte b is token 6 + b: "ab" = 103 104 at 1, 2; the canvas 3..6; "xyz" = 126 127 128 at 7..9.
      assert.deepEqual(numbers(feeds[0]!.input_ids!), [2, 126, 127, 128, 103, 104]);
      assert.deepEqual(numbers(feeds[0]!.position_ids!), [0, 7, 8, 9, 1, 2]);
    } finally {
      await engine.dispose();
    }
  });

  it('a bidirectional model takes head, prefix, suffix, tail, and no past', async () => {
    writeFolder(splitJson(), false);
    const { split, feeds } = await watchedModel('bidirectional');
    try {
      const pass = await split.begin(layout);
      pass.release();
      assert.deepEqual(Object.keys(feeds[0]!).sort(), ['input_ids', 'position_ids']);
      assert.deepEqual(numbers(feeds[0]!.input_ids!), [2, 4, 10, 11, 12, 20, 21, 3]);
      assert.deepEqual(numbers(feeds[0]!.position_ids!), [0, 1, 2, 3, 4, 9, 10, 11]);
      const kv = await split.encodeContext([2], [0]);
      await assert.rejects(split.encodeContext([1], [1], kv), /past keys\/values need a causalSuffixFirst context/);
    } finally {
      await split.dispose();
    }
  });
});
