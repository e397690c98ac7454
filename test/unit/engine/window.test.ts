import * as assert from 'node:assert/strict';
import { mulberry32 } from '../../../src/engine/sampler/random';
import { fitTokens, windowTokens } from '../../../src/engine/window';

const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('engine/window: token cut', () => {
  it('keeps everything when it fits', () => {
    const w = fitTokens(ids(0, 10), ids(100, 5), 20);
    assert.deepEqual(w.prefixIds, ids(0, 10));
    assert.deepEqual(w.suffixIds, ids(100, 5));
    assert.equal(w.droppedPrefix + w.droppedSuffix, 0);
  });

  it('empty prefix: the suffix may take the whole budget', () => {
    const w = fitTokens([], ids(100, 50), 20);
    assert.deepEqual(w.prefixIds, []);
    assert.deepEqual(w.suffixIds, ids(100, 20));
    assert.equal(w.droppedSuffix, 30);
  });

  it('empty suffix: the prefix keeps its last tokens', () => {
    const w = fitTokens(ids(0, 50), [], 20);
    assert.deepEqual(w.prefixIds, ids(30, 20));
    assert.deepEqual(w.suffixIds, []);
  });

  it('both long: prefix gets 3/4 (its end), suffix 1/4 (its start)', () => {
    const w = fitTokens(ids(0, 1000), ids(5000, 1000), 100);
    assert.deepEqual(w.prefixIds, ids(925, 75));
    assert.deepEqual(w.suffixIds, ids(5000, 25));
    assert.equal(w.droppedPrefix, 925);
    assert.equal(w.droppedSuffix, 975);
  });

  it("a short side leaves its unused share to the other", () => {
    assert.deepEqual(fitTokens(ids(0, 1000), ids(5000, 10), 100).prefixIds, ids(910, 90));
    const w = fitTokens(ids(0, 30), ids(5000, 1000), 100);
    assert.equal(w.prefixIds.length, 30);
    assert.deepEqual(w.suffixIds, ids(5000, 70));
  });

  it('a zero budget keeps nothing', () => {
    const w = fitTokens(ids(0, 3), ids(10, 3), 0);
    assert.deepEqual([w.prefixIds, w.suffixIds], [[], []]);
  });
});

/** A tokenizer that never merges across a newline: '\n' alone, else up to 3 characters. */
function newlineSafeEncoder() {
  const vocab = new Map<string, number>();
  let encodedChars = 0;
  const encode = (text: string) => {
    encodedChars += text.length;
    return (text.match(/\n|[^\n]{1,3}/g) ?? []).map((piece) => {
      if (!vocab.has(piece)) vocab.set(piece, vocab.size);
      return vocab.get(piece)!;
    });
  };
  return { encode, chars: () => encodedChars };
}

function randomCode(random: () => number, chars: number): string {
  let out = '';
  while (out.length < chars) out += 'x'.repeat(Math.floor(random() * 40)) + '\n';
  return out.slice(0, chars);
}

describe('engine/window: lazy token window', () => {
  it('equals fitting the full encodings (golden against fitTokens)', () => {
    const random = mulberry32(7);
    for (let k = 0; k < 200; k++) {
      const prefix = randomCode(random, Math.floor(random() ** 2 * 20000));
      const suffix = randomCode(random, Math.floor(random() ** 2 * 20000));
      const budget = Math.floor(random() * 2000);
      const { encode } = newlineSafeEncoder();
      const lazy = windowTokens(prefix, suffix, budget, encode);
      const full = fitTokens(encode(prefix), encode(suffix), budget);
      assert.deepEqual(lazy.prefixIds, full.prefixIds, `case ${k}`);
      assert.deepEqual(lazy.suffixIds, full.suffixIds, `case ${k}`);
    }
  });

  it('encodes only about the window of a huge document, never the whole of it', () => {
    const random = mulberry32(3);
    const prefix = randomCode(random, 1_000_000);
    const suffix = randomCode(random, 1_000_000);
    const enc = newlineSafeEncoder();
    const w = windowTokens(prefix, suffix, 1000, enc.encode);
    assert.equal(w.prefixIds.length, 750);
    assert.equal(w.suffixIds.length, 250);
    assert.ok(enc.chars() < 10_000, `encoded ${enc.chars()} characters`);
  });

  it('handles empty sides and a one-sided document', () => {
    const { encode } = newlineSafeEncoder();
    assert.deepEqual(windowTokens('', '', 100, encode), { prefixIds: [], suffixIds: [], droppedPrefix: 0, droppedSuffix: 0 });
    const w = windowTokens('abcdef\n'.repeat(1000), '', 100, encode);
    assert.equal(w.prefixIds.length, 100);
    assert.deepEqual(w.suffixIds, []);
    const s = windowTokens('', 'abcdef\n'.repeat(1000), 100, encode);
    assert.equal(s.suffixIds.length, 100);
  });

  it('does not split a surrogate pair when a chunk must cut mid-line', () => {
    const seen: string[] = [];
    const encode = (text: string) => {
      seen.push(text);
      return Array.from(text, (c) => c.codePointAt(0)!);
    };
    windowTokens('😀'.repeat(5000), '😀'.repeat(5000), 600, encode);
    for (const piece of seen) assert.equal(piece, piece.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, ''));
  });
});
