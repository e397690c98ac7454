import { strict as assert } from 'node:assert';
import { formatBar } from '../../../bench/lib/progress';

describe('progress bar text', () => {
  it('shows the fraction done and an estimate of the time left', () => {
    const line = formatBar('eval', 25, 100, 10_000, 'pass@1 0.400', 120);
    assert.equal(line, 'eval [######..................] 25/100 eta 30s pass@1 0.400');
    assert.equal(formatBar('eval', 50, 100, 100_000, '', 120), 'eval [############............] 50/100 eta 1m40s ');
    assert.ok(formatBar('eval', 0, 10, 0, '', 20).length <= 19);
  });
});
