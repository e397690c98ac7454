import { strict as assert } from 'node:assert';
import { textWidth } from '../../../../bench/lib/plot/render';

describe('plot/render', () => {
  it('measures text in the bundled font', () => {
    const short = textWidth('pass@1', 13);
    assert.ok(short > 30 && short < 60, `"pass@1" is ${short} px wide`);
    assert.ok(textWidth('pass@1 pass@1', 13) > 1.9 * short);
    assert.equal(textWidth('', 13), 0);
  });
});
