import * as assert from 'node:assert/strict';
import { detectLineEnd, normalizeForModel, restoreLineEnds, toWellFormed } from '../../../src/engine/text';
import { mulberry32 } from '../../../src/engine/sampler/random';
import { cutByCharacters, fitTokens, windowTokens } from '../../../src/engine/window';

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

describe('engine/window: character cut', () => {
  it('leaves short text alone', () => {
    assert.deepEqual(cutByCharacters('abc', 'def', 10), { prefix: 'abc', suffix: 'def', prefixCut: false, suffixCut: false });
    assert.deepEqual(cutByCharacters('', '', 10), { prefix: '', suffix: '', prefixCut: false, suffixCut: false });
  });

  it('keeps the prefix end and the suffix start of huge inputs, aligned to whole lines', () => {
    const line = (i: number) => `line ${String(i).padStart(4, '0')}\n`; // 10 characters
    const prefix = Array.from({ length: 10000 }, (_, i) => line(i)).join('');
    const suffix = Array.from({ length: 10000 }, (_, i) => line(i)).join('');
    const w = cutByCharacters(prefix, suffix, 95);
    assert.equal(w.prefix, [9991, 9992, 9993, 9994, 9995, 9996, 9997, 9998, 9999].map(line).join(''));
    assert.equal(w.suffix, [0, 1, 2, 3, 4, 5, 6, 7, 8].map(line).join(''));
    assert.ok(w.prefixCut && w.suffixCut);
  });

  it('without a nearby newline cuts at the exact limit', () => {
    const w = cutByCharacters('x'.repeat(1000), 'y'.repeat(1000), 100);
    assert.equal(w.prefix.length, 100);
    assert.equal(w.suffix.length, 100);
  });

  it('never splits a surrogate pair', () => {
    const emoji = '😀'; // two UTF-16 units
    const w = cutByCharacters('a' + emoji.repeat(10), emoji.repeat(10) + 'b', 5);
    assert.equal(w.prefix, emoji.repeat(2));
    assert.equal(w.suffix, emoji.repeat(2));
    assert.equal(toWellFormed(w.prefix), w.prefix);
    assert.equal(toWellFormed(w.suffix), w.suffix);
  });
});

describe('engine/text', () => {
  it('normalizes CRLF and lone CR to LF, lone surrogates to U+FFFD', () => {
    assert.equal(normalizeForModel('a\r\nb\rc\nd'), 'a\nb\nc\nd');
    assert.equal(normalizeForModel('x\uD800y\uDC00z😀'), 'x\uFFFDy\uFFFDz😀');
    assert.equal(normalizeForModel('\uD83D'), '\uFFFD');
  });

  it('detects the dominant line end and restores it', () => {
    assert.equal(detectLineEnd('a\r\nb\r\n', 'c\n'), '\r\n');
    assert.equal(detectLineEnd('a\nb\n', 'c\r\n'), '\n');
    assert.equal(detectLineEnd('', ''), '\n');
    assert.equal(restoreLineEnds('a\nb\n', '\r\n'), 'a\r\nb\r\n');
    assert.equal(restoreLineEnds('a\nb', '\n'), 'a\nb');
  });
});
