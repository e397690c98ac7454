import { strict as assert } from 'node:assert';
import { cacheKey, stableStringify } from '../../../src/completion/cacheKey';
import { cutWindow } from '../../../src/completion/contextWindow';
import { documentSkipReason, looksBinary } from '../../../src/completion/documentGuards';
import { remainingAfterTyping, type ShownSuggestion } from '../../../src/completion/typedThrough';

describe('cutWindow', () => {
  it('keeps short context whole and normalises CRLF', () => {
    const w = cutWindow('a\r\nb', 'c\r\n', { prefixChars: 100, suffixChars: 100 });
    assert.deepEqual(w, { prefix: 'a\nb', suffix: 'c\n', prefixCut: false, suffixCut: false });
  });

  it('cuts long context on line boundaries', () => {
    const before = 'line0\n'.repeat(100) + 'x = ';
    const after = '\n' + 'tail\n'.repeat(100);
    const w = cutWindow(before, after, { prefixChars: 40, suffixChars: 30 });
    assert.ok(w.prefixCut && w.suffixCut);
    assert.ok(w.prefix.length <= 40 && w.prefix.startsWith('line0\n') && w.prefix.endsWith('x = '));
    assert.ok(w.suffix.length <= 30 && w.suffix.endsWith('\n') && w.suffix.startsWith('\ntail'));
  });

  it('never splits a surrogate pair when it must cut inside a line', () => {
    const w = cutWindow('😀'.repeat(50), '😀'.repeat(50), { prefixChars: 11, suffixChars: 11 });
    assert.ok(!/^[\udc00-\udfff]/.test(w.prefix));
    assert.ok(!/[\ud800-\udbff]$/.test(w.suffix));
  });
});

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

describe('remainingAfterTyping', () => {
  const doc0 = 'def f():\n    return a + b\n';
  const offset = doc0.indexOf('a + b');
  const shown: ShownSuggestion = { uri: 'file:///f.py', offset, before: doc0.slice(0, offset), after: '\n', text: 'a + b' };

  function ctx(text: string, cursor: number, uri = 'file:///f.py') {
    return { uri, offset: cursor, getText: (s: number, e: number) => text.slice(Math.max(0, s), e) };
  }

  it('serves the rest of the suggestion after typing its start', () => {
    const typed = doc0.slice(0, offset) + 'a +' + '\n';
    assert.equal(remainingAfterTyping(shown, ctx(typed, offset + 3)), ' b');
  });

  it('refuses when the typed text differs from the suggestion', () => {
    const typed = doc0.slice(0, offset) + 'a -' + '\n';
    assert.equal(remainingAfterTyping(shown, ctx(typed, offset + 3)), undefined);
  });

  it('refuses in another document, before the anchor, or when everything was typed', () => {
    const typed = doc0.slice(0, offset) + 'a +' + '\n';
    assert.equal(remainingAfterTyping(shown, ctx(typed, offset + 3, 'file:///g.py')), undefined);
    assert.equal(remainingAfterTyping(shown, ctx(typed, offset)), undefined);
    const all = doc0.slice(0, offset) + 'a + b' + '\n';
    assert.equal(remainingAfterTyping(shown, ctx(all, offset + 5)), undefined);
  });

  it('refuses when the text around the anchor changed', () => {
    const edited = 'def g():\n    return ' + 'a +' + '\n';
    assert.equal(remainingAfterTyping(shown, ctx(edited, edited.indexOf('a +') + 3)), undefined);
  });
});

describe('documentSkipReason', () => {
  it('accepts ordinary code', () =>
    assert.equal(documentSkipReason({ length: 100, sample: 'def f():\n\tpass\n', lineLength: 10 }), undefined));
  it('skips huge documents', () =>
    assert.match(documentSkipReason({ length: 5_000_000, sample: 'x', lineLength: 1 }) ?? '', /too large/));
  it('skips minified lines', () =>
    assert.match(documentSkipReason({ length: 100_000, sample: 'x', lineLength: 90_000 }) ?? '', /too long/));
  it('skips binary-looking text', () => {
    assert.ok(looksBinary('abc\u0000def'));
    assert.ok(looksBinary('\u0001\u0002\u0003abc'));
    assert.ok(!looksBinary('plain text\r\n\twith tabs'));
    assert.match(documentSkipReason({ length: 10, sample: 'a\u0000', lineLength: 2 }) ?? '', /binary/);
  });
});
