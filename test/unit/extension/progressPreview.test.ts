import { strict as assert } from 'node:assert';
import { progressPreview } from '../../../src/extension/progressPreview';
import { maskGlyph } from '../../../src/protocol/protocol';

describe('progressPreview', () => {
  it('flattens lines and counts long mask runs', () => {
    const text = `def f():\n    return ${maskGlyph.repeat(10)}x${maskGlyph.repeat(2)}`;
    assert.equal(
      progressPreview({ text, forwardPasses: 3, committed: 9, canvasTokens: 21 }),
      `pass 3 · 9/21 committed — def f():⏎    return ${maskGlyph}×10x${maskGlyph.repeat(2)}`,
    );
  });

  it('keeps only the tail of long text', () => {
    const message = progressPreview({ text: 'a'.repeat(500) + 'END', forwardPasses: 1, committed: 1, canvasTokens: 1 });
    assert.ok(message.endsWith('aaEND'));
    assert.ok(message.length < 140);
    assert.match(message, /— …a/);
  });
});
