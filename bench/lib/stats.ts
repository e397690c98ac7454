/**
 * Summary statistics for benchmark figures. Percentiles use linear interpolation between
 * closest ranks (NumPy's default, "type 7"), so small samples give stable, comparable values.
 */

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
}

/** The q-th percentile (0 ≤ q ≤ 100) of `values`; NaN for an empty list. */
export function percentile(values: readonly number[], q: number): number {
  if (q < 0 || q > 100 || Number.isNaN(q)) throw new RangeError(`percentile q must be in [0, 100], got ${q}`);
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const [low, high] = [sorted[lo]!, sorted[hi]!]; // 0 ≤ lo ≤ hi < length
  return low + (high - low) * (rank - lo);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    mean: mean(values),
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    min: values.length ? Math.min(...values) : NaN,
    max: values.length ? Math.max(...values) : NaN,
  };
}

/** Fraction of `true` in `flags` (pass@1 with one sample per task); NaN when empty. */
export function rate(flags: readonly boolean[]): number {
  if (flags.length === 0) return NaN;
  return flags.filter(Boolean).length / flags.length;
}
