import { strict as assert } from 'node:assert';
import { progressPreview, undecided } from '../../../src/editor/progressPreview';
import { maskGlyph } from '../../../src/protocol/protocol';

describe('progressPreview', () => {
  it('says in words how much is decided and shows the text with its open holes', () => {
    const text = `total += ${maskGlyph.repeat(3)}\nreturn ${maskGlyph}total${maskGlyph.repeat(17)}`;
    assert.equal(
      progressPreview({ text, forwardPasses: 19, committed: 46, canvasTokens: 64 }),
      `46 of 64 tokens decided: total += ${undecided} ⏎ return ${undecided}total`,
    );
  });

  it('says when no text is decided yet instead of showing only undecided positions', () => {
    const message = progressPreview({ text: `${maskGlyph.repeat(17)}\n${maskGlyph}`, forwardPasses: 1, committed: 0, canvasTokens: 64 });
    assert.equal(message, '0 of 64 tokens decided, no text yet');
    assert.doesNotMatch(message, new RegExp(maskGlyph));
  });

  it('keeps only the tail of long text', () => {
    const message = progressPreview({ text: 'a'.repeat(500) + 'END', forwardPasses: 1, committed: 1, canvasTokens: 1 });
    assert.ok(message.endsWith('aaEND'));
    assert.ok(message.length < 140);
    assert.match(message, /: …a/);
  });
});
