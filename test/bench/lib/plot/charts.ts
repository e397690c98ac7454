/**
 * The two benchmark charts — a labelled scatter with its Pareto frontier, and a grouped
 * histogram — drawn on a Raster. Layout numbers are in pixels; text uses the bitmap font.
 */
import { Raster, type Color } from './raster';

export const palette: readonly Color[] = [
  [31, 119, 180],
  [214, 39, 40],
  [44, 160, 44],
  [255, 127, 14],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [23, 190, 207],
];

const ink: Color = [33, 33, 33];
const grid: Color = [225, 225, 225];
const muted: Color = [110, 110, 110];

/** Round tick values (steps of 1, 2 or 5 × 10^k) covering [min, max] with about `target` intervals. */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new RangeError(`ticks need finite bounds, got ${min}..${max}`);
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

function formatTick(value: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return value.toFixed(decimals);
}

interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
  xTicks: number[];
  yTicks: number[];
}

const lo = (ticks: number[]) => ticks[0];
const hi = (ticks: number[]) => ticks[ticks.length - 1];
const px = (f: Frame, x: number) => f.left + ((x - lo(f.xTicks)) / (hi(f.xTicks) - lo(f.xTicks))) * f.width;
const py = (f: Frame, y: number) => f.top + f.height - ((y - lo(f.yTicks)) / (hi(f.yTicks) - lo(f.yTicks))) * f.height;

export interface ChartText {
  title: string;
  /** A smaller line under the title (data set, model, run size). */
  subtitle?: string;
  xLabel: string;
  yLabel: string;
}

export interface ChartSize {
  width: number;
  height: number;
}

const defaultSize: ChartSize = { width: 960, height: 600 };

/** Background, title, grid, ticks and axis labels; returns the plot area. */
function drawFrame(r: Raster, text: ChartText, xTicks: number[], yTicks: number[]): Frame {
  const f: Frame = { left: 90, top: text.subtitle ? 78 : 56, width: r.width - 90 - 30, height: 0, xTicks, yTicks };
  f.height = r.height - f.top - 74;
  r.text(r.width / 2, 14, text.title, ink, 3, 'center');
  if (text.subtitle) r.text(r.width / 2, 46, text.subtitle, muted, 2, 'center');
  const xStep = xTicks.length > 1 ? xTicks[1] - xTicks[0] : 1;
  const yStep = yTicks.length > 1 ? yTicks[1] - yTicks[0] : 1;
  for (const t of xTicks) {
    const x = px(f, t);
    r.line(x, f.top, x, f.top + f.height, grid);
    r.line(x, f.top + f.height, x, f.top + f.height + 5, ink);
    r.text(x, f.top + f.height + 10, formatTick(t, xStep), ink, 2, 'center');
  }
  for (const t of yTicks) {
    const y = py(f, t);
    r.line(f.left, y, f.left + f.width, y, grid);
    r.line(f.left - 5, y, f.left, y, ink);
    r.text(f.left - 10, y - Raster.textHeight(2) / 2, formatTick(t, yStep), ink, 2, 'right');
  }
  r.line(f.left, f.top, f.left, f.top + f.height, ink, 2);
  r.line(f.left, f.top + f.height, f.left + f.width, f.top + f.height, ink, 2);
  r.text(f.left + f.width / 2, r.height - 28, text.xLabel, ink, 2, 'center');
  r.textVertical(12, f.top + f.height / 2, text.yLabel, ink, 2);
  return f;
}

export interface ScatterPoint {
  x: number;
  y: number;
  label: string;
  color: Color;
}

/** Points not beaten by another on both counts: fewer-or-equal x with strictly higher y. Sorted by x. */
export function paretoFrontier<P extends { x: number; y: number }>(points: readonly P[]): P[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || b.y - a.y);
  const front: P[] = [];
  for (const p of sorted) if (front.length === 0 || p.y > front[front.length - 1].y) front.push(p);
  return front;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** Scatter of labelled points; the dashed line joins the Pareto frontier (fewer x, more y). */
export function renderScatter(text: ChartText, points: readonly ScatterPoint[], options: { yTicks?: number[]; size?: ChartSize } = {}): Raster {
  const size = options.size ?? defaultSize;
  const r = new Raster(size.width, size.height);
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const xTicks = niceTicks(0, xs.length ? Math.max(...xs) * 1.08 : 1);
  const yTicks = options.yTicks ?? niceTicks(ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1);
  const f = drawFrame(r, text, xTicks, yTicks);
  const front = paretoFrontier(points);
  for (let i = 1; i < front.length; i++) r.line(px(f, front[i - 1].x), py(f, front[i - 1].y), px(f, front[i].x), py(f, front[i].y), muted, 2, [8, 6]);
  // Points drawn on top of each other become one dot with one label naming them all.
  const dots = mergeCoincident(points.map((p) => ({ ...p, x: px(f, p.x), y: py(f, p.y) })), 4);
  const taken: Box[] = dots.map((p) => ({ x: p.x - 7, y: p.y - 7, w: 14, h: 14 }));
  for (const p of dots) r.fillCircle(p.x, p.y, 6, p.color);
  const h = Raster.textHeight(2);
  for (const p of dots) {
    const { x, y } = p;
    const w = Raster.textWidth(p.label, 2);
    // Beside the point first, then stacked further and further above and below it.
    const candidates: Box[] = [
      { x: x + 11, y: y - h / 2, w, h },
      { x: x - 11 - w, y: y - h / 2, w, h },
    ];
    for (let level = 0; level < 4; level++) {
      const lift = 12 + level * (h + 6);
      for (const bx of [x - w / 2, x - w + 6, x - 6]) candidates.push({ x: bx, y: y - lift - h, w, h }, { x: bx, y: y + lift, w, h });
    }
    const inside = (b: Box) => b.x >= f.left && b.x + b.w <= f.left + f.width && b.y >= f.top && b.y + b.h <= f.top + f.height;
    const box = candidates.find((b) => inside(b) && !taken.some((t) => overlaps(b, t))) ?? candidates.find(inside) ?? candidates[0];
    taken.push(box);
    r.text(box.x, box.y, p.label, p.color, 2);
  }
  return r;
}

/**
 * Groups points lying within `tolerance` (in their own units) of a group's first point; each
 * group keeps the first point's place, the labels joined with " = ", and the first colour when
 * alone or a neutral ink when shared.
 */
export function mergeCoincident(points: readonly ScatterPoint[], tolerance: number): ScatterPoint[] {
  const groups: ScatterPoint[][] = [];
  for (const p of points) {
    const group = groups.find((g) => Math.abs(g[0].x - p.x) <= tolerance && Math.abs(g[0].y - p.y) <= tolerance);
    if (group) group.push(p);
    else groups.push([p]);
  }
  return groups.map((g) => ({ x: g[0].x, y: g[0].y, label: g.map((p) => p.label).join(' = '), color: g.length === 1 ? g[0].color : ink }));
}

/** Equal-width bin edges on round numbers covering every value. */
export function binEdges(values: readonly number[], bins: number): number[] {
  if (values.length === 0) return [0, 1];
  const ticks = niceTicks(Math.min(...values), Math.max(...values), bins);
  return ticks.length >= 2 ? ticks : [ticks[0], ticks[0] + 1];
}

/** Counts per bin; a value on an inner edge goes to the upper bin, the last bin includes its right edge. */
export function histogram(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const v of values) {
    if (v < edges[0] || v > edges[edges.length - 1]) continue;
    let i = 0;
    while (i < counts.length - 1 && v >= edges[i + 1]) i++;
    counts[i]++;
  }
  return counts;
}

export interface HistogramSeries {
  name: string;
  values: readonly number[];
  color: Color;
}

/** Grouped histogram: one bar per series in each bin, shared bins, legend top right. */
export function renderHistogram(text: ChartText, series: readonly HistogramSeries[], options: { bins?: number; size?: ChartSize } = {}): Raster {
  const size = options.size ?? defaultSize;
  const r = new Raster(size.width, size.height);
  const edges = binEdges(series.flatMap((s) => s.values), options.bins ?? 16);
  const counts = series.map((s) => histogram(s.values, edges));
  // Headroom above the tallest bar keeps the legend clear; counts are whole, so steps are too.
  const yTicks = niceTicks(0, Math.max(5, 1.3 * Math.max(...counts.flat())));
  const f = drawFrame(r, text, edges.length > 12 ? niceTicks(edges[0], edges[edges.length - 1]) : edges, yTicks);
  // Bars use the bin edges; the tick row may be coarser when there are many bins.
  const binPx = (i: number) => px(f, edges[i]);
  for (let b = 0; b < edges.length - 1; b++) {
    const x0 = binPx(b) + 2;
    const barWidth = (binPx(b + 1) - binPx(b) - 4) / Math.max(1, series.length);
    counts.forEach((c, s) => {
      if (c[b] === 0) return;
      const top = py(f, c[b]);
      r.fillRect(x0 + s * barWidth, top, Math.max(1, barWidth - 1), f.top + f.height - top, series[s].color);
    });
  }
  const legendWidth = Math.max(...series.map((s) => Raster.textWidth(s.name, 2))) + 40;
  const lx = f.left + f.width - legendWidth - 10;
  series.forEach((s, i) => {
    const ly = f.top + 10 + i * 24;
    r.fillRect(lx, ly, 16, 16, s.color);
    r.text(lx + 24, ly, s.name, ink, 2);
  });
  return r;
}
