import { strict as assert } from 'node:assert';
import { remainingAfterTyping, type ShownSuggestion } from '../../../src/completion/typedThrough';

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
