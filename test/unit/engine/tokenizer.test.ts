import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bannedTokens, languageToken } from '../../../src/engine/engine';
import { ModelLoadError } from '../../../src/engine/errors';
import { parseManifest } from '../../../src/engine/manifest';
import { TextTokenizer, loadTokenizer } from '../../../src/engine/tokenizer';
import { SPECIALS, TINY_VOCAB, tempDir, tinyTokenizerJson } from './fixtures';

describe('engine/tokenizer', () => {
  let t: ReturnType<typeof tempDir>;
  let tok: TextTokenizer;
  before(() => {
    t = tempDir();
    fs.writeFileSync(path.join(t.dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
    tok = loadTokenizer(path.join(t.dir, 'tokenizer.json'));
  });
  after(() => t.remove());

  it('round-trips code, adds no special tokens and keeps spaces as they are', () => {
    const text = 'def f(x):\n    return x . y , z\n';
    const ids = tok.encode(text);
    assert.ok(!ids.some((id) => id < SPECIALS.length));
    assert.equal(tok.decode(ids), text);
    assert.deepEqual(tok.encode('de'), [TINY_VOCAB - 1], 'the merge applies');
    assert.deepEqual(tok.encode(''), []);
  });

  it('encodes the spelling of a special token in source text as plain text', () => {
    const ids = tok.encode('x = "<pad>" + "<mask>"');
    assert.ok(!ids.some((id) => tok.specialIds.has(id)), `special ids in ${ids}`);
    assert.equal(tok.decode(ids), 'x = "<pad>" + "<mask>"');
  });

  it('is robust to lone surrogates and CRLF', () => {
    assert.equal(tok.decode(tok.encode('a\uD800b')), 'a\uFFFDb');
    assert.equal(tok.decode(tok.encode('a\r\nb')), 'a\r\nb');
    assert.equal(tok.decode(tok.encode('é😀')), 'é😀');
  });

  it('reports its size and special ids', () => {
    assert.equal(tok.size, TINY_VOCAB);
    assert.deepEqual([...tok.specialIds].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
    assert.equal(tok.idToToken(1), '<pad>');
    assert.equal(tok.idToToken(TINY_VOCAB + 5), undefined);
  });

  it('fails with the file and the reason', () => {
    const bad = path.join(t.dir, 'bad.json');
    assert.throws(() => loadTokenizer(bad), (e: unknown) => e instanceof ModelLoadError && e.path === bad && /unreadable/.test(e.reason));
    fs.writeFileSync(bad, '{');
    assert.throws(() => loadTokenizer(bad), (e: unknown) => e instanceof ModelLoadError && e.path === bad && /not valid JSON \(at position 1\)/.test(e.reason));
    fs.writeFileSync(bad, '{"model": {"type": "Nope"}}');
    assert.throws(() => loadTokenizer(bad), (e: unknown) => e instanceof ModelLoadError && e.path === bad);
  });

  it('bans mask, bos, language and unknown ids; keeps pad and eos', () => {
    const m = parseManifest(
      {
        format: 1,
        name: 'x',
        contract: 'full',
        files: { tokenizer: 't.json', model: 'm.onnx' },
        vocabSize: TINY_VOCAB + 3,
        specialTokens: { mask: 0, pad: 1, bos: 2, eos: 3 },
        languageTokens: { python: 4, other: 5 },
        maxContextTokens: 100,
        maxCanvasTokens: 10,
      },
      t.dir,
    );
    const banned = bannedTokens(m, tok);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => banned[i]), [1, 0, 1, 0, 1, 1]);
    assert.equal(banned[10], 0);
    assert.deepEqual([TINY_VOCAB, TINY_VOCAB + 1, TINY_VOCAB + 2].map((i) => banned[i]), [1, 1, 1]);
    assert.equal(languageToken(m, 'python'), 4);
    assert.equal(languageToken(m, 'rust'), 5);
    assert.equal(languageToken(m, ''), 5);
    assert.equal(languageToken(m, 'toString'), 5, 'no prototype keys');
    const withTs = { ...m, languageTokens: { typescript: 4, other: 5 } };
    assert.equal(languageToken(withTs, 'typescriptreact'), 4, 'a dialect falls back to its base language');
    assert.equal(languageToken({ ...m, languageTokens: undefined }, 'python'), undefined);
  });
});
