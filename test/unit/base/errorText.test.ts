import { strict as assert } from 'node:assert';
import { errorMessage, firstLineOf } from '../../../src/base/errorText';

describe('base/errorText: a thrown value in words', () => {
  it('an Error is its message, a thrown string itself, anything else its JSON', () => {
    assert.equal(errorMessage(new Error('no model\nat load')), 'no model\nat load');
    assert.equal(errorMessage('plain words'), 'plain words');
    assert.equal(errorMessage({ code: 7 }), '{"code":7}');
    assert.equal(errorMessage(42), '42');
  });

  it('says something for values JSON cannot write', () => {
    assert.equal(errorMessage(undefined), 'undefined');
    assert.equal(errorMessage(Symbol('x')), 'Symbol(x)');
  });

  it('the first line keeps a one-line log entry one line', () => {
    assert.equal(firstLineOf(new Error('no model\nat load')), 'no model');
    assert.equal(firstLineOf('one line'), 'one line');
    assert.equal(firstLineOf(new Error('')), '');
  });
});
