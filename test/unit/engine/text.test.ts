import { strict as assert } from 'node:assert';
import { outputText, toWellFormed } from '../../../src/engine/text';

describe('engine/text', () => {
  it('replaces lone surrogates with U+FFFD and keeps pairs', () => {
    assert.equal(toWellFormed('x\uD800y\uDC00z😀'), 'x\uFFFDy\uFFFDz😀');
    assert.equal(toWellFormed('\uD83D'), '\uFFFD');
    assert.equal(toWellFormed('a\nb'), 'a\nb');
  });
});

describe('engine/text outputText', () => {
  it('hands out LF text: CRLF and lone CR become LF, LF stays', () => {
    assert.equal(outputText('a\r\nb\rc\nd\r'), 'a\nb\nc\nd\n');
    assert.equal(outputText('\r\r\n'), '\n\n');
  });
});
