import { strict as assert } from 'node:assert';
import { fmt, markdownTable, pct } from '../../../bench/lib/markdown';

describe('markdown helpers', () => {
  it('right-aligns numeric columns and pads cells', () => {
    const t = markdownTable(['name', 'value'], [['a', '1.5'], ['bbb', '10.25']]);
    assert.equal(t, ['| name | value |', '| ---- | ----: |', '| a    |   1.5 |', '| bbb  | 10.25 |'].join('\n'));
  });

  it('formats missing numbers as n/a', () => {
    assert.equal(fmt(NaN), 'n/a');
    assert.equal(fmt(undefined), 'n/a');
    assert.equal(fmt(1.234, 2), '1.23');
    assert.equal(pct(0.4123), '41.2%');
    assert.equal(pct(NaN), 'n/a');
  });
});
