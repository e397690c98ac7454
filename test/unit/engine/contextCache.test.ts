import * as assert from 'node:assert/strict';
import { ContextCache, type ContextRequest, firstTokens, joinTokens, splitLines } from '../../../src/engine/contextCache';
import { type ExtendableContext, type KvBlock, contextTokens } from '../../../src/engine/runners/model';

/**
 * A causal "model" whose keys and values show exactly what each token saw: a token's key is its id
 * and position, its value a hash chained over every (id, position) before it in the context. A
 * cached context reused wrongly (a stale token, a shifted position) cannot give the same arrays
 * as encoding the whole context at once.
 */
class ChainModel implements ExtendableContext {
  readonly kv = { layers: 2, heads: 1, headDim: 2 };
  readonly encoded: number[] = [];

  extend(ids: readonly number[], positions: readonly number[], past: KvBlock): Promise<KvBlock> {
    const { layers, headDim } = this.kv;
    const n = ids.length;
    const keys = new Float32Array(layers * n * headDim);
    const values = new Float32Array(layers * n * headDim);
    for (let l = 0; l < layers; l++) {
      let h = past.tokens > 0 ? past.values[(l * past.tokens + past.tokens - 1) * headDim]! : 17 + l;
      for (let i = 0; i < n; i++) {
        h = (h * 31 + ids[i]! * 7 + positions[i]!) % 1_000_003;
        keys.set([ids[i]! + 1000 * l, positions[i]!], (l * n + i) * headDim);
        values.set([h, past.tokens + i], (l * n + i) * headDim);
      }
    }
    this.encoded.push(n);
    return Promise.resolve({ keys, values, tokens: n });
  }

  beginWith(): never {
    throw new Error('not used');
  }
}

/** Words, single spaces and single other characters; `\n` is always a token of its own. */
function encode(text: string): number[] {
  return (text.match(/[A-Za-z_]+|\s|./g) ?? []).map((piece) => {
    let h = 0;
    for (const c of piece) h = (h * 131 + c.charCodeAt(0)) % 9973;
    return 100 + h;
  });
}

const HEAD = [2, 5];
const TAIL = [3];
const MAX_CONTEXT = 120;
const GAP = 16;

/** A file of numbered lines, long enough that the window is full. */
function lines(from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i++) text += `line ${i} has words\n`;
  return text;
}

const request = (prefix: string, suffix: string, canvasLength = 8): ContextRequest => ({ head: HEAD, tail: TAIL, prefix, suffix, canvasLength });

describe('engine/contextCache', () => {
  let model: ChainModel;
  let cache: ContextCache;

  beforeEach(() => {
    model = new ChainModel();
    cache = new ContextCache(model, encode, { maxContextTokens: MAX_CONTEXT, maxSuffixGap: GAP, maxBytes: 1 << 20 });
  });

  /** Prepares, and checks the result against encoding its whole context from nothing. */
  async function prepareChecked(document: string, r: ContextRequest) {
    const prepared = await cache.prepare(document, r);
    const { ids, positions } = contextTokens(prepared.layout, 'causalSuffixFirst');
    const scratch = await new ChainModel().extend(ids, positions, { keys: new Float32Array(0), values: new Float32Array(0), tokens: 0 });
    assert.deepEqual(prepared.kv, scratch, 'reused and recomputed contexts differ');
    assert.equal(prepared.encoded + prepared.reused, ids.length);
    const gap = prepared.layout.suffixGap ?? 0;
    assert.ok(gap >= 0 && gap <= GAP, `gap ${gap}`);
    assert.ok(ids.length <= MAX_CONTEXT, `${ids.length} context tokens`);
    return prepared;
  }

  it('typing at the end of a long prefix encodes only the line typed on, exactly, until the room is used', async () => {
    const before = lines(0, 40) + '    total = ';
    const suffix = '\n' + lines(40, 60);
    const first = await prepareChecked('a', request(before, suffix));
    assert.equal(first.reused, 0);
    assert.equal(first.encoded, first.kv.tokens);
    assert.ok(first.kv.tokens <= MAX_CONTEXT - cache.room, 'a fresh window leaves room for typing');
    const suffixAt = contextTokens(first.layout, 'causalSuffixFirst').positions[HEAD.length];

    let typed = '';
    let fresh = 0;
    for (const c of 'count_items(values) + offset * 2 + 1') {
      typed += c;
      const p = await prepareChecked('a', request(before + typed, suffix));
      if (p.reused === 0) {
        fresh++;
        continue;
      }
      // The line typed on is encoded again; everything before it is kept.
      assert.equal(p.encoded, encode('    total = ' + typed).length, `typing "${c}"`);
      assert.equal(contextTokens(p.layout, 'causalSuffixFirst').positions[HEAD.length], suffixAt, 'the suffix stays where it was');
    }
    // 36 characters are 16 tokens: more than the room (12), so the window moved exactly once.
    assert.equal(cache.room, 12);
    assert.equal(fresh, 1);
  });

  it('keeps the window through deletions within the gap, and through a new line', async () => {
    const before = lines(0, 40) + '    total = count(values)';
    const suffix = '\n' + lines(40, 60);
    await prepareChecked('a', request(before, suffix));
    const deleted = await prepareChecked('a', request(before.slice(0, -7), suffix));
    assert.equal(deleted.encoded, encode('    total = count(').length, 'after deleting');
    const newline = await prepareChecked('a', request(before.slice(0, -7) + '\n    ', suffix));
    assert.equal(newline.encoded, encode('    total = count(\n    ').length, 'after a new line');
    const next = await prepareChecked('a', request(before.slice(0, -7) + '\n    x', suffix));
    assert.equal(next.encoded, encode('    x').length, 'the completed line is kept');
    // Deleting back over the line break: only what the two requests still have in common is kept.
    const joined = await prepareChecked('a', request(before.slice(0, -7), suffix));
    assert.ok(joined.reused > 0 && joined.encoded <= encode('    total = count(').length + 1, `after joining the lines: encoded ${joined.encoded}`);
  });

  it('opens a fresh window when the suffix changes, the cursor moves, or the language does', async () => {
    const before = lines(0, 40) + '    total = ';
    const suffix = '\n' + lines(40, 60);
    await prepareChecked('a', request(before, suffix));
    assert.equal((await prepareChecked('a', request(before, ')' + suffix))).reused, 0, 'suffix edited');
    await prepareChecked('a', request(before, suffix));
    assert.equal((await prepareChecked('a', request(lines(100, 140), lines(140, 150)))).reused, 0, 'cursor elsewhere');
    await prepareChecked('a', request(before, suffix));
    const otherLanguage = await prepareChecked('a', { ...request(before, suffix), head: [2, 6] });
    assert.equal(otherLanguage.reused, 0, 'language changed');
  });

  it('finds the window again when the client sends a different amount of text before it', async () => {
    const body = lines(0, 40) + '    total = ';
    const suffix = '\n' + lines(40, 60);
    await prepareChecked('a', request(body, suffix));
    // The client's cut moved down by a few lines: the engine's window starts further down anyway.
    const p = await prepareChecked('a', request(body.slice(body.indexOf('line 5 ')) + 'x', suffix));
    assert.ok(p.reused > 0 && p.encoded === encode('    total = x').length, `reused ${p.reused}, encoded ${p.encoded}`);
  });

  it('fits short texts whole and a prefix of one huge line by its last tokens', async () => {
    const short = await prepareChecked('a', request('x = 1\ny = ', '\nprint(y)\n'));
    assert.deepEqual(short.layout.prefix, encode('x = 1\ny = '));
    assert.deepEqual(short.layout.suffix, encode('\nprint(y)\n'));
    const huge = 'v'.repeat(10) + ' + w'.repeat(200);
    const p = await prepareChecked('b', request(huge, ''));
    assert.deepEqual(p.layout.prefix, encode(huge).slice(-p.layout.prefix.length));
    // Typing on after a cut line cannot reuse it (its left-out tokens are unknown), and stays exact.
    await prepareChecked('b', request(huge + ' + z', ''));
  });

  it('holds documents least-recently-used first out within its memory, and forgets a closed one', async () => {
    // Each entry: 2 layers x 2 floats x 4 bytes x (keys + values) = 32 bytes a token; about 100 tokens.
    cache = new ContextCache(model, encode, { maxContextTokens: MAX_CONTEXT, maxSuffixGap: GAP, maxBytes: 8000 });
    const r = request(lines(0, 40) + '    total = ', '\n' + lines(40, 60));
    await prepareChecked('a', r);
    await prepareChecked('b', r);
    assert.equal(cache.stats.documents, 2);
    assert.ok(cache.stats.bytes <= 8000);
    await prepareChecked('c', r);
    assert.equal(cache.stats.documents, 2, 'the least recently used went');
    assert.equal((await prepareChecked('a', r)).reused, 0, 'a was evicted');
    assert.ok((await prepareChecked('c', r)).reused > 0);
    cache.forget('c');
    assert.equal((await prepareChecked('c', r)).reused, 0, 'c was forgotten');
  });
});

describe('engine/contextCache helpers', () => {
  it('splitLines keeps every newline and ends with the text after the last', () => {
    assert.deepEqual(splitLines(''), ['']);
    assert.deepEqual(splitLines('a\nb'), ['a\n', 'b']);
    assert.deepEqual(splitLines('a\n\n'), ['a\n', '\n', '']);
  });

  it('firstTokens and joinTokens cut and join along the token axis of [layers, 1, heads, tokens, headDim]', () => {
    const shape = { kv: { layers: 2, heads: 2, headDim: 1 } };
    // Element = 100 * (layer*heads + head) + token.
    const block = (tokens: number[]): KvBlock => {
      const a = new Float32Array(4 * tokens.length);
      for (let lh = 0; lh < 4; lh++) tokens.forEach((t, i) => (a[lh * tokens.length + i] = 100 * lh + t));
      return { keys: a, values: a.map((x) => -x), tokens: tokens.length };
    };
    assert.deepEqual(firstTokens(block([0, 1, 2]), 2, shape), block([0, 1]));
    assert.deepEqual(joinTokens(block([0, 1]), block([2, 3, 4]), shape), block([0, 1, 2, 3, 4]));
    assert.deepEqual(joinTokens(block([]), block([7]), shape), block([7]));
  });
});
