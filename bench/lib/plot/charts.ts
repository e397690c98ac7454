/**
 * The two benchmark charts as vega-lite specs — a labelled scatter with its Pareto frontier, and a
 * grouped histogram — and their rendering to PNG.
 */
import type { Config, TopLevelSpec } from 'vega-lite';
import { binEdges, groupedBars, mergeCoincident, paretoFrontier, type Dot, type ScatterPoint, type Series } from './data';
import { placeLabels } from './labels';
import { fontFamily, runView, svgToPng, textWidth } from './render';

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

/** The size of the whole image, titles and axes included. */
export const defaultSize: ChartSize = { width: 960, height: 600 };

const ink = '#212121';
const muted = '#6e6e6e';
const labelFontSize = 13;
const dotRadius = 6;
/** Dots closer than this many pixels become one dot. */
const mergePixels = 4;

const config: Config = {
  font: fontFamily,
  background: 'white',
  view: { stroke: null },
  title: { fontSize: 20, color: ink, subtitleFontSize: 14, subtitleColor: muted, subtitlePadding: 6, offset: 14 },
  axis: { labelFontSize: 13, labelColor: ink, titleFontSize: 14, titleFontWeight: 'normal', titleColor: ink, titlePadding: 10, domainColor: ink, tickColor: ink, gridColor: '#e1e1e1' },
  legend: { labelFontSize: 13, labelLimit: 0, labelColor: ink, symbolSize: 160, symbolType: 'square', fillColor: 'white', padding: 8, strokeColor: '#d0d0d0' },
};

/** What every chart shares: size (the whole image), titles, fonts and colours. */
function frame(text: ChartText, size: ChartSize) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: size.width,
    height: size.height,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 16,
    title: { text: text.title, ...(text.subtitle ? { subtitle: text.subtitle } : {}) },
    config,
  } as const;
}

/** A dot with its label's anchor (left end, vertical middle), all in data units. */
export interface LabelledDot extends Dot {
  labelX: number;
  labelY: number;
}

export interface ScatterOptions {
  /** The y range to show at least (say [0, 1] for a rate); otherwise the points' own range. */
  yDomain?: [number, number];
  /** Groups in colour order, so that a group keeps its colour across charts; others follow in order of appearance. */
  groups?: readonly string[];
  size?: ChartSize;
}

const extent = (values: readonly number[], fallback: [number, number]): [number, number] => (values.length ? [Math.min(...values), Math.max(...values)] : fallback);

/** The scales' domains, fixed up front so that the dots and labels, added later, leave them alone. */
function scatterDomains(points: readonly ScatterPoint[], yDomain?: [number, number]) {
  const [, xMax] = extent(
    points.map((p) => p.x),
    [0, 1],
  );
  const [yLo, yHi] = extent(
    points.map((p) => p.y),
    yDomain ?? [0, 1],
  );
  // Room to the right of the rightmost dot for its label.
  const x: [number, number] = [0, xMax > 0 ? xMax * 1.08 : 1];
  const y: [number, number] = yDomain ? [Math.min(yDomain[0], yLo), Math.max(yDomain[1], yHi)] : [yLo, yHi];
  // A flat range still needs some height to place the dots in.
  if (y[0] === y[1]) {
    const pad = y[0] === 0 ? 1 : Math.abs(y[0]) * 0.1;
    y[0] -= pad;
    y[1] += pad;
  }
  return { x, y };
}

/**
 * Scatter of labelled points coloured by group; the dashed line joins the Pareto frontier (fewer
 * x, more y). `dots` are the points as drawn, with their labels placed (see renderScatter); none
 * draws the axes and the frontier only.
 */
export function scatterSpec(text: ChartText, points: readonly ScatterPoint[], dots: readonly LabelledDot[], options: ScatterOptions = {}): TopLevelSpec {
  const domains = scatterDomains(points, options.yDomain);
  const groups = [...new Set([...(options.groups ?? []), ...points.map((p) => p.group)])];
  // Every layer repeats the scales and axis titles: layers share them, and vega-lite merges them.
  const x = (field: string) => ({ field, type: 'quantitative', title: text.xLabel, scale: { domain: domains.x, nice: true, zero: false } }) as const;
  const y = (field: string) => ({ field, type: 'quantitative', title: text.yLabel, scale: { domain: domains.y, nice: true, zero: false } }) as const;
  // A dot shared by several groups is drawn in ink rather than in one group's colour.
  const color = { condition: { test: 'datum.group === null', value: ink }, field: 'group', type: 'nominal', scale: { domain: groups, scheme: 'category10' }, legend: null } as const;
  return {
    ...frame(text, options.size ?? defaultSize),
    layer: [
      {
        data: { values: paretoFrontier(points).map((p) => ({ x: p.x, y: p.y })) },
        mark: { type: 'line', color: muted, strokeWidth: 2, strokeDash: [8, 6] },
        encoding: { x: x('x'), y: y('y') },
      },
      {
        data: { values: dots.map((d) => ({ ...d })) },
        mark: { type: 'circle', size: Math.PI * dotRadius ** 2, opacity: 1 },
        encoding: { x: x('x'), y: y('y'), color },
      },
      {
        data: { values: dots.map((d) => ({ ...d })) },
        mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: labelFontSize },
        encoding: { x: x('labelX'), y: y('labelY'), text: { field: 'label' }, color },
      },
    ],
  };
}

/** A linear scale of a run vega view: data to pixels and back. */
interface PixelScale {
  (value: number): number;
  invert(pixel: number): number;
}

/**
 * Renders the scatter to PNG. A first layout, without dots, gives the scales; the dots are then
 * merged and their labels placed in pixels, and the chart is drawn with them.
 */
export async function renderScatter(text: ChartText, points: readonly ScatterPoint[], options: ScatterOptions = {}): Promise<Buffer> {
  const bare = await runView(scatterSpec(text, points, [], options));
  const xScale = bare.scale('x') as PixelScale; // vega types its scales as any
  const yScale = bare.scale('y') as PixelScale;
  const dots = mergeCoincident(
    points.map((p) => ({ ...p, x: xScale(p.x), y: yScale(p.y) })),
    mergePixels,
  );
  const lineHeight = Math.ceil(labelFontSize * 1.25);
  const spots = dots.map((d) => ({ x: d.x, y: d.y, w: textWidth(d.label, labelFontSize), h: lineHeight }));
  const boxes = placeLabels(spots, { width: bare.width(), height: bare.height() }, dotRadius);
  const labelled = dots.map((d, i) => {
    const box = boxes[i]!; // one box per spot, one spot per dot
    return { ...d, x: xScale.invert(d.x), y: yScale.invert(d.y), labelX: xScale.invert(box.x), labelY: yScale.invert(box.y + box.h / 2) };
  });
  const view = await runView(scatterSpec(text, points, labelled, options));
  return svgToPng(await view.toSVG());
}

export interface HistogramOptions {
  /** The most bins; the edges fall on round numbers. */
  bins?: number;
  size?: ChartSize;
}

/** Grouped histogram: one bar per series in each bin, shared bins, legend top right. */
export function histogramSpec(text: ChartText, series: readonly Series[], options: HistogramOptions = {}): TopLevelSpec {
  const edges = binEdges(
    series.flatMap((s) => s.values),
    options.bins ?? 16,
  );
  const bars = groupedBars(series, edges);
  // Headroom above the tallest bar keeps the legend clear.
  const top = Math.max(5, 1.3 * Math.max(0, ...bars.map((b) => b.count)));
  return {
    ...frame(text, options.size ?? defaultSize),
    data: { values: bars.map((b) => ({ ...b })) },
    mark: { type: 'bar', orient: 'vertical' },
    encoding: {
      // Ticks on the bin edges, unless there are so many that they would crowd.
      x: { field: 'x0', type: 'quantitative', title: text.xLabel, scale: { domain: [edges[0]!, edges[edges.length - 1]!], nice: false, zero: false }, axis: edges.length <= 13 ? { values: edges } : {} },
      x2: { field: 'x1' },
      y: { field: 'count', type: 'quantitative', stack: null, title: text.yLabel, scale: { domain: [0, top], nice: true }, axis: { tickMinStep: 1, format: 'd' } },
      color: { field: 'series', type: 'nominal', scale: { domain: series.map((s) => s.name), scheme: 'category10' }, legend: { title: null, orient: 'top-right' } },
    },
  };
}

export async function renderHistogram(text: ChartText, series: readonly Series[], options: HistogramOptions = {}): Promise<Buffer> {
  const view = await runView(histogramSpec(text, series, options));
  return svgToPng(await view.toSVG());
}
