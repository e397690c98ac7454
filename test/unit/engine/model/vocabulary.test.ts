import * as assert from 'node:assert/strict';
import { parseManifest } from '../../../../src/modelFolder/manifest';
import { bannedTokens, languageToken, sequenceEnds } from '../../../../src/engine/model/vocabulary';
import { TINY_VOCAB, tinyTokenizerSuite } from '../fixtures';

describe('engine/model/vocabulary', () => {
  const tiny = tinyTokenizerSuite();

  const manifest = (over: Record<string, unknown> = {}) =>
    parseManifest(
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
        ...over,
      },
      tiny.dir,
    );

  it('lays bos (and the language token) before a request and eos after it, unless bosFirst or eosLast leave them out', () => {
    assert.deepEqual(sequenceEnds(manifest(), 'python'), { head: [2, 4], tail: [3] });
    assert.deepEqual(sequenceEnds(manifest({ bosFirst: true, eosLast: false }), 'python'), { head: [2, 4], tail: [] });
    // The Dream family: no language tokens, nothing added around the text.
    const dream = manifest({ languageTokens: undefined, bosFirst: false, eosLast: false, specialTokens: { mask: 0, pad: 1, bos: 1, eos: 1 } });
    assert.deepEqual(sequenceEnds(dream, 'python'), { head: [], tail: [] });
    assert.deepEqual(sequenceEnds(manifest({ specialTokens: { mask: 0, pad: 1, bos: null, eos: null } }), undefined), { head: [5], tail: [] });
  });

  it('bans mask, bos, language and unknown ids; keeps pad and eos', () => {
    const banned = bannedTokens(manifest(), tiny.tokenizer);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => banned[i]), [1, 0, 1, 0, 1, 1]);
    assert.equal(banned[10], 0);
    assert.deepEqual([TINY_VOCAB, TINY_VOCAB + 1, TINY_VOCAB + 2].map((i) => banned[i]), [1, 1, 1]);
  });

  it("keeps a length-editing model's expand and delete tokens as candidates, whatever else would ban them", () => {
    const banned = bannedTokens(manifest({ lengthTokens: { expand: TINY_VOCAB + 1, delete: TINY_VOCAB } }), tiny.tokenizer);
    assert.deepEqual([TINY_VOCAB, TINY_VOCAB + 1, TINY_VOCAB + 2].map((i) => banned[i]), [0, 0, 1]);
  });

  it('bans the same ids whatever the contract', () => {
    const split = manifest({ contract: 'split', files: { tokenizer: 't.json', context: 'c.onnx', denoise: 'd.onnx' }, kvCache: { layers: 1, heads: 1, headDim: 4 } });
    assert.deepEqual(bannedTokens(split, tiny.tokenizer), bannedTokens(manifest(), tiny.tokenizer));
  });

  it('a manifest without bos and eos leaves their tokenizer ids banned as specials', () => {
    const banned = bannedTokens(manifest({ specialTokens: { mask: 0, pad: 1, bos: null, eos: null } }), tiny.tokenizer);
    assert.deepEqual([0, 1, 2, 3].map((i) => banned[i]), [1, 0, 1, 1]);
  });

  it('picks the language token: its own, its base language, other, none', () => {
    const m = manifest();
    assert.equal(languageToken(m, 'python'), 4);
    assert.equal(languageToken(m, 'rust'), 5);
    assert.equal(languageToken(m, ''), 5);
    assert.equal(languageToken(m, undefined), 5);
    assert.equal(languageToken(m, 'toString'), 5, 'no prototype keys');
    const withTs = { ...m, languageTokens: { typescript: 4, other: 5 } };
    assert.equal(languageToken(withTs, 'typescriptreact'), 4, 'a dialect falls back to its base language');
    assert.equal(languageToken({ languageTokens: { python: 4 } }, 'rust'), undefined, 'no other: no token');
    assert.equal(languageToken({ ...m, languageTokens: undefined }, 'python'), undefined);
  });
});
