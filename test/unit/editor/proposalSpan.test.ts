import { strict as assert } from 'node:assert';
import { followChanges, withProposal } from '../../../src/editor/proposalSpan';

describe('proposalSpan', () => {
  const span = { start: 10, end: 20 };

  it('shifts with edits before the span and ignores edits after it', () => {
    assert.deepEqual(followChanges(span, [{ rangeOffset: 0, rangeLength: 0, text: 'abc' }]), { start: 13, end: 23 });
    assert.deepEqual(followChanges(span, [{ rangeOffset: 2, rangeLength: 5, text: '' }]), { start: 5, end: 15 });
    assert.deepEqual(followChanges(span, [{ rangeOffset: 25, rangeLength: 3, text: 'xyz!' }]), span);
  });

  it('adds up the changes of one event whatever their order', () => {
    const changes = [
      { rangeOffset: 30, rangeLength: 0, text: 'tail' },
      { rangeOffset: 4, rangeLength: 1, text: '' },
      { rangeOffset: 0, rangeLength: 0, text: '##' },
    ];
    assert.deepEqual(followChanges(span, changes), { start: 11, end: 21 });
  });

  it('goes stale when an edit touches the span, its ends included', () => {
    for (const change of [
      { rangeOffset: 12, rangeLength: 1, text: 'x' },
      { rangeOffset: 5, rangeLength: 10, text: '' },
      { rangeOffset: 10, rangeLength: 0, text: 'x' },
      { rangeOffset: 20, rangeLength: 0, text: 'x' },
      { rangeOffset: 8, rangeLength: 2, text: '' },
    ]) {
      assert.equal(followChanges(span, [change]), undefined, JSON.stringify(change));
    }
  });

  it('an empty span (an insertion point) goes stale when text is typed at it', () => {
    assert.equal(followChanges({ start: 4, end: 4 }, [{ rangeOffset: 4, rangeLength: 0, text: 'a' }]), undefined);
    assert.deepEqual(followChanges({ start: 4, end: 4 }, [{ rangeOffset: 1, rangeLength: 0, text: 'a' }]), { start: 5, end: 5 });
  });

  it('withProposal replaces the span', () => {
    assert.equal(withProposal('total += v\n', { start: 9, end: 10 }, 'value'), 'total += value\n');
    assert.equal(withProposal('ab', { start: 1, end: 1 }, 'X'), 'aXb');
  });
});
