import { strict as assert } from 'node:assert';
import { toWellFormed } from '../../../src/engine/text';

describe('engine/text', () => {
  it('replaces lone surrogates with U+FFFD and keeps pairs', () => {
    assert.equal(toWellFormed('x\uD800y\uDC00z😀'), 'x\uFFFDy\uFFFDz😀');
    assert.equal(toWellFormed('\uD83D'), '\uFFFD');
    assert.equal(toWellFormed('a\nb'), 'a\nb');
  });
});
