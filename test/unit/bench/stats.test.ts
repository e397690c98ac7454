import { strict as assert } from 'node:assert';
import { mean, percentile, rate, summarize } from '../../../bench/lib/stats';

describe('bench statistics', () => {
  it('interpolates percentiles between ranks like NumPy', () => {
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
    assert.equal(percentile([4, 1, 3, 2], 0), 1);
    assert.equal(percentile([4, 1, 3, 2], 100), 4);
    // numpy.percentile(range(1, 11), 95) == 9.55
    assert.ok(Math.abs(percentile([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 95) - 9.55) < 1e-12);
    assert.equal(percentile([7], 95), 7);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    assert.deepEqual(values, [3, 1, 2]);
  });

  it('gives NaN for no data and rejects q outside 0..100', () => {
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.ok(Number.isNaN(mean([])));
    assert.ok(Number.isNaN(rate([])));
    assert.throws(() => percentile([1], 101), RangeError);
    assert.throws(() => percentile([1], -1), RangeError);
  });

  it('summarizes a sample', () => {
    const { p95, ...rest } = summarize([10, 20, 30, 40, 100]);
    assert.deepEqual(rest, { n: 5, mean: 40, p50: 30, min: 10, max: 100 });
    assert.ok(Math.abs(p95 - 88) < 1e-9, `p95 ${p95}`); // 40 + 0.8 × (100 − 40)
  });

  it('computes a pass rate', () => {
    assert.equal(rate([true, false, true, true]), 0.75);
  });
});
