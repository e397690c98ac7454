import * as assert from 'assert';
import { fitContext, prefixTail, suffixHead, toWellFormed } from '../../../src/server/contextWindow';

describe('context window', () => {
  it('replaces lone surrogates and keeps pairs', () => {
    assert.strictEqual(toWellFormed('ok 😀'), 'ok 😀');
    assert.strictEqual(toWellFormed('\ud83d'), '\ufffd');
    assert.strictEqual(toWellFormed('a\ude00b\ud83dc'), 'a\ufffdb\ufffdc');
    assert.strictEqual(toWellFormed('\ude00\ud83d\ude00\ud83d'), '\ufffd😀\ufffd');
  });

  it('keeps the end of the prefix and the start of the suffix', () => {
    assert.strictEqual(prefixTail('abcdef', 3), 'def');
    assert.strictEqual(suffixHead('abcdef', 3), 'abc');
    assert.strictEqual(prefixTail('ab', 3), 'ab');
  });

  it('never cuts a surrogate pair in half', () => {
    assert.strictEqual(prefixTail('x😀yz', 3), 'yz');
    assert.strictEqual(suffixHead('ab😀x', 3), 'ab');
  });

  it('sizes the window by the model context', () => {
    const { prefix, suffix } = fitContext('p'.repeat(10_000), 's'.repeat(10_000), 100);
    assert.strictEqual(prefix.length, 800);
    assert.strictEqual(suffix.length, 800);
  });
});
