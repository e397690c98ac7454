import { strict as assert } from 'node:assert';
import { ordinal, RepeatCounter } from '../../../src/editor/repeatCounter';

describe('RepeatCounter', () => {
  it('never labels the same message twice the same way', () => {
    const counter = new RepeatCounter();
    const message = 'dLLM: Fill selection changed nothing — the model left the hole empty (3 passes).';
    const labels = [1, 2, 3, 4].map(() => counter.label(message));
    assert.equal(labels[0], message);
    assert.equal(labels[1], `${message} (2nd time)`);
    assert.equal(labels[3], `${message} (4th time)`);
    assert.equal(new Set(labels).size, labels.length);
    assert.equal(counter.label('another message'), 'another message');
  });

  it('writes ordinals as people do', () => {
    assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal), ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th']);
  });
});
