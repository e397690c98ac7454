import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from '../../../src/modelFolder/errors';
import { loadTokenizer } from '../../../src/engine/tokenizer';
import { SPECIALS, TINY_VOCAB, tinyTokenizerSuite } from './fixtures';

describe('engine/tokenizer', () => {
  const tiny = tinyTokenizerSuite();

  it('round-trips code, adds no special tokens and keeps spaces as they are', () => {
    const text = 'def f(x):\n    return x . y , z\n';
    const ids = tiny.tokenizer.encode(text);
    assert.ok(!ids.some((id) => id < SPECIALS.length));
    assert.equal(tiny.tokenizer.decode(ids), text);
    assert.deepEqual(tiny.tokenizer.encode('de'), [TINY_VOCAB - 1], 'the merge applies');
    assert.deepEqual(tiny.tokenizer.encode(''), []);
  });

  it('encodes the spelling of a special token in source text as plain text', () => {
    const ids = tiny.tokenizer.encode('x = "<pad>" + "<mask>"');
    assert.ok(!ids.some((id) => tiny.tokenizer.specialIds.has(id)), `special ids in ${ids.join(',')}`);
    assert.equal(tiny.tokenizer.decode(ids), 'x = "<pad>" + "<mask>"');
  });

  it('is robust to lone surrogates and CRLF', () => {
    assert.equal(tiny.tokenizer.decode(tiny.tokenizer.encode('a\uD800b')), 'a\uFFFDb');
    assert.equal(tiny.tokenizer.decode(tiny.tokenizer.encode('a\r\nb')), 'a\r\nb');
    assert.equal(tiny.tokenizer.decode(tiny.tokenizer.encode('é😀')), 'é😀');
  });

  it('reports its size and special ids', () => {
    assert.equal(tiny.tokenizer.size, TINY_VOCAB);
    assert.deepEqual([...tiny.tokenizer.specialIds].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
    assert.equal(tiny.tokenizer.idToToken(1), '<pad>');
    assert.equal(tiny.tokenizer.idToToken(TINY_VOCAB + 5), undefined);
  });

  it('fails with the file and the reason', () => {
    const bad = path.join(tiny.dir, 'bad.json');
    assert.throws(() => loadTokenizer(bad), (e: unknown) => e instanceof ModelLoadError && e.path === bad && /unreadable/.test(e.reason));
    fs.writeFileSync(bad, '{');
    assert.throws(() => loadTokenizer(bad), (e: unknown) => e instanceof ModelLoadError && e.path === bad && /not valid JSON \(at position 1\)/.test(e.reason));
    fs.writeFileSync(bad, '{"model": {"type": "Nope"}}');
    assert.throws(() => loadTokenizer(bad), (e: unknown) => e instanceof ModelLoadError && e.path === bad);
  });
});
