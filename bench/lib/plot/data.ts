/**
 * Pure data helpers behind the charts: the Pareto frontier, merging points that would be drawn on
 * top of each other, and the bins and bars of a grouped histogram.
 */
import * as vega from 'vega';

export interface Point {
  x: number;
  y: number;
}

/** A labelled point; `group` picks its colour (points of one group share one). */
export interface ScatterPoint extends Point {
  label: string;
  group: string;
}

/** A point as drawn: `group` is null where points of different groups share the dot. */
export interface Dot extends Point {
  label: string;
  group: string | null;
}

/** Points not beaten by another on both counts: fewer-or-equal x with strictly higher y. Sorted by x. */
export function paretoFrontier<P extends Point>(points: readonly P[]): P[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || b.y - a.y);
  const front: P[] = [];
  for (const p of sorted) {
    const last = front[front.length - 1];
    if (last === undefined || p.y > last.y) front.push(p);
  }
  return front;
}

/**
 * Groups points lying within `tolerance` (in their own units) of a group's first point; each
 * group keeps the first point's place, the labels joined with " = ", and its group when all of
 * its points share one.
 */
export function mergeCoincident(points: readonly Dot[], tolerance: number): Dot[] {
  const groups: Array<{ first: Dot; members: Dot[] }> = [];
  for (const p of points) {
    const group = groups.find(({ first }) => Math.abs(first.x - p.x) <= tolerance && Math.abs(first.y - p.y) <= tolerance);
    if (group) group.members.push(p);
    else groups.push({ first: p, members: [p] });
  }
  return groups.map(({ first, members }) => ({
    x: first.x,
    y: first.y,
    label: members.map((p) => p.label).join(' = '),
    group: members.every((p) => p.group === first.group) ? first.group : null,
  }));
}

// vega exports its binning function at run time, but its typings leave it out.
const vegaBin = (vega as unknown as { bin: (options: { extent: [number, number]; maxbins: number }) => { start: number; stop: number; step: number } }).bin;

/** Equal-width bin edges on round numbers covering every value: the bins vega-lite's `bin` would pick. */
export function binEdges(values: readonly number[], maxBins: number): number[] {
  if (values.length === 0) return [0, 1];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  // One distinct value still gets a bin of width one around it.
  const { start, stop, step } = vegaBin({ extent: lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi], maxbins: Math.max(1, maxBins) });
  const edges: number[] = [];
  for (let i = 0; start + i * step <= stop + step * 1e-9; i++) edges.push(Number((start + i * step).toPrecision(12)));
  return edges;
}

/** Counts per bin; a value on an inner edge goes to the upper bin, the last bin includes its right edge. */
export function histogram(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  // From here `edges` has at least one edge (the array above refuses a negative length).
  const [first, last] = [edges[0]!, edges[edges.length - 1]!];
  for (const v of values) {
    if (v < first || v > last) continue;
    let i = 0;
    while (i < counts.length - 1 && v >= edges[i + 1]!) i++;
    counts[i]!++;
  }
  return counts;
}

/** One bar of a grouped histogram, its sides in data units. */
export interface Bar {
  series: string;
  x0: number;
  x1: number;
  count: number;
}

export interface Series {
  name: string;
  values: readonly number[];
}

/**
 * The bars of a grouped histogram: each bin split side by side among the series, with a small gap
 * around every bar. Empty bars are left out.
 */
export function groupedBars(series: readonly Series[], edges: readonly number[], gap = 0.06): Bar[] {
  const bars: Bar[] = [];
  const counted = series.map((s) => ({ name: s.name, counts: histogram(s.values, edges) }));
  for (let b = 0; b < edges.length - 1; b++) {
    // Bin b lies between edges b and b + 1; each series has a count for it.
    const [lo, hi] = [edges[b]!, edges[b + 1]!];
    const slot = (hi - lo) / Math.max(1, series.length);
    counted.forEach(({ name, counts }, i) => {
      const count = counts[b]!;
      if (count === 0) return;
      const x0 = lo + i * slot;
      bars.push({ series: name, x0: x0 + (slot * gap) / 2, x1: x0 + slot - (slot * gap) / 2, count });
    });
  }
  return bars;
}
