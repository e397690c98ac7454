import { strict as assert } from 'node:assert';
import { dominantLineEnd, fromLf, isHighSurrogate, isLowSurrogate, toLf } from '../../../src/protocol/text';

describe('protocol/text', () => {
  it('converts CRLF and lone CR to LF, and back to a document style', () => {
    assert.equal(toLf('a\r\nb\rc\nd'), 'a\nb\nc\nd');
    assert.equal(fromLf('a\nb\n', '\r\n'), 'a\r\nb\r\n');
    assert.equal(fromLf('a\nb', '\n'), 'a\nb');
    const crlf = 'x\r\ny\r\n\r\nz';
    assert.equal(fromLf(toLf(crlf), dominantLineEnd(crlf)), crlf);
  });

  it('names the line end a text uses most', () => {
    assert.equal(dominantLineEnd('a\r\nb\r\nc\n'), '\r\n');
    assert.equal(dominantLineEnd('a\nb\nc\r\n'), '\n');
    assert.equal(dominantLineEnd(''), '\n');
  });

  it('tells the halves of a surrogate pair apart', () => {
    const emoji = '😀';
    assert.ok(isHighSurrogate(emoji.charCodeAt(0)) && !isLowSurrogate(emoji.charCodeAt(0)));
    assert.ok(isLowSurrogate(emoji.charCodeAt(1)) && !isHighSurrogate(emoji.charCodeAt(1)));
    assert.ok(!isHighSurrogate('a'.charCodeAt(0)) && !isLowSurrogate(Number.NaN));
  });
});
