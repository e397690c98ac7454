/**
 * Test doubles: a tiny byte-level BPE tokenizer.json and a scripted fake model (no ONNX).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ForwardFn } from '../../../src/engine/sampler/denoise';
import { TensorType, node } from '../../../src/engine/runners/onnxProto';
import { loadTokenizer, type TextTokenizer } from '../../../src/engine/tokenizer';

/** GPT-2's byte → printable character table. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const table = new Array<string>(256);
  bs.forEach((b, i) => (table[b] = String.fromCharCode(cs[i]!)));
  return table;
}

export const SPECIALS = ['<mask>', '<pad>', '<bos>', '<eos>', '<lang_python>', '<lang_other>'] as const;

/** Byte-level BPE: ids 0–5 the specials above, 6–261 the bytes, then one merge ("d", "e") → "de". */
export function tinyTokenizerJson(): object {
  const table = bytesToUnicode();
  const vocab: Record<string, number> = {};
  SPECIALS.forEach((s, i) => (vocab[s] = i));
  table.forEach((ch, b) => (vocab[ch] = SPECIALS.length + b));
  vocab['de'] = SPECIALS.length + 256;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [['d', 'e']] },
  };
}

export const TINY_VOCAB = SPECIALS.length + 257;

/** A fresh temporary folder, removed by the returned function. */
/** Writes the tiny tokenizer.json into `dir` and loads it. */
export function loadTinyTokenizer(dir: string): TextTokenizer {
  const file = path.join(dir, 'tokenizer.json');
  fs.writeFileSync(file, JSON.stringify(tinyTokenizerJson()));
  return loadTokenizer(file);
}

/**
 * Graph nodes writing `logits` [1, T, vocab] whose row i is `ids`[i] in every column: a test graph
 * that shows which ids reached which logits row.
 */
export function idsAsLogitsNodes(ids: string, vocab: number): ReturnType<typeof node>[] {
  return [
    node('Constant', [], ['col'], [{ name: 'value_ints', ints: [1, -1, 1] }]),
    node('Constant', [], ['wide'], [{ name: 'value_ints', ints: [1, 1, vocab] }]),
    node('Cast', [ids], ['ids_f'], [{ name: 'to', int: TensorType.float }]),
    node('Reshape', ['ids_f', 'col'], ['ids_col']),
    node('Expand', ['ids_col', 'wide'], ['logits']),
  ];
}

/** Hooks for a suite: the tiny tokenizer, loaded from a temporary folder that is removed afterwards. */
export function tinyTokenizerSuite(): { dir: string; tokenizer: TextTokenizer } {
  const suite = {} as { dir: string; tokenizer: TextTokenizer };
  let t: ReturnType<typeof tempDir> | undefined;
  before(() => {
    t = tempDir();
    suite.dir = t.dir;
    suite.tokenizer = loadTinyTokenizer(t.dir);
  });
  after(() => t?.remove());
  return suite;
}

export function tempDir(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-engine-test-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Logit that gives `token` probability `p` when the other `allowed − 1` tokens have logit 0. */
export function logitFor(p: number, allowed: number): number {
  return Math.log((p * (allowed - 1)) / (1 - p));
}

export interface Script {
  vocabSize: number;
  /** Number of tokens that are not banned in the test's setup (for exact probabilities). */
  allowed: number;
  /** The token the model predicts at each position. */
  target: readonly number[];
  /** Probability the model gives target[position] on this pass, given the current canvas. */
  prob(position: number, pass: number, canvas: Int32Array): number;
}

/** A fake model following the script; records each canvas it was given. */
export function scriptedForward(script: Script): { forward: ForwardFn; calls: Int32Array[] } {
  const calls: Int32Array[] = [];
  const forward: ForwardFn = (canvas) => {
    const pass = calls.length;
    calls.push(Int32Array.from(canvas));
    const n = canvas.length;
    const v = script.vocabSize;
    const logits = new Float32Array(n * v);
    for (let j = 0; j < n; j++) logits[j * v + script.target[j]!] = logitFor(script.prob(j, pass, canvas), script.allowed);
    return Promise.resolve(logits);
  };
  return { forward, calls };
}
