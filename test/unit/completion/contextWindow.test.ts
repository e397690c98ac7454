import { strict as assert } from 'node:assert';
import { CHARS_PER_TOKEN, cutWindow, windowChars } from '../../../src/completion/contextWindow';

describe('cutWindow', () => {
  it('keeps short context whole', () => {
    assert.deepEqual(cutWindow('a\nb', 'c\n', 100), { prefix: 'a\nb', suffix: 'c\n', prefixCut: false, suffixCut: false });
  });

  it('gives the prefix three quarters when both sides are long, on line boundaries', () => {
    const before = 'line0\n'.repeat(100) + 'x = ';
    const after = '\n' + 'tail\n'.repeat(100);
    const w = cutWindow(before, after, 80);
    assert.ok(w.prefixCut && w.suffixCut);
    assert.ok(w.prefix.length <= 60 && w.prefix.length >= 45 && w.prefix.startsWith('line0\n') && w.prefix.endsWith('x = '), JSON.stringify(w.prefix));
    assert.ok(w.suffix.length <= 20 && w.suffix.endsWith('\n') && w.suffix.startsWith('\ntail'), JSON.stringify(w.suffix));
  });

  it('lets one side use what the other does not need, as the server does with tokens', () => {
    const long = 'y'.repeat(1000);
    assert.equal(cutWindow(long, 'short', 100).prefix.length, 95);
    assert.equal(cutWindow('short', long, 100).suffix.length, 95);
    assert.deepEqual(cutWindow(long, long, 0), { prefix: '', suffix: '', prefixCut: true, suffixCut: true });
  });

  it('moves a cut to a line boundary only within the outer quarter of a side', () => {
    assert.equal(cutWindow(`${'x'.repeat(500)}\n${'b'.repeat(80)}`, '', 100).prefix, 'b'.repeat(80));
    assert.equal(cutWindow(`${'x'.repeat(500)}\n${'b'.repeat(70)}`, '', 100).prefix, `${'x'.repeat(29)}\n${'b'.repeat(70)}`);
    assert.equal(cutWindow('', `${'b'.repeat(80)}\n${'x'.repeat(500)}`, 100).suffix, `${'b'.repeat(80)}\n`);
  });

  it('never splits a surrogate pair when it must cut inside a line', () => {
    for (const chars of [21, 22, 23]) {
      const w = cutWindow('😀'.repeat(50), '😀'.repeat(50), chars);
      assert.ok(!/^[\udc00-\udfff]/.test(w.prefix), `prefix at ${chars}`);
      assert.ok(!/[\ud800-\udbff]$/.test(w.suffix), `suffix at ${chars}`);
    }
  });

  it('sizes the window from the model context', () => {
    assert.equal(windowChars(448), 448 * CHARS_PER_TOKEN);
    assert.equal(windowChars(0), 0);
  });
});
