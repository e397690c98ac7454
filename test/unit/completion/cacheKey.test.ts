import { strict as assert } from 'node:assert';
import { cacheKey, stableStringify } from '../../../src/completion/cacheKey';

describe('cacheKey', () => {
  const base = { prefix: 'ab', suffix: 'c', language: 'python', settings: { a: 1, b: { c: 2 } } };

  it('is equal for equal context, whatever the key order of the settings', () =>
    assert.equal(cacheKey(base), cacheKey({ ...base, settings: { b: { c: 2 }, a: 1 } })));

  it('changes when text moves between prefix and suffix', () =>
    assert.notEqual(cacheKey(base), cacheKey({ ...base, prefix: 'a', suffix: 'bc' })));

  it('changes with the language and the settings', () => {
    assert.notEqual(cacheKey(base), cacheKey({ ...base, language: 'typescript' }));
    assert.notEqual(cacheKey(base), cacheKey({ ...base, settings: { a: 2, b: { c: 2 } } }));
  });

  it('stableStringify sorts keys and drops undefined', () =>
    assert.equal(stableStringify({ z: 1, a: [1, { y: 2, x: undefined }] }), '{"a":[1,{"y":2}],"z":1}'));
});
