/**
 * Turns a vega-lite spec into a PNG: vega-lite compiles it, vega lays it out headless and writes
 * SVG, resvg rasterizes that. Text uses DejaVu Sans from the `dejavu-fonts-ttf` package, loaded by
 * path with system fonts off, so a chart comes out the same on any machine, font-less CI included.
 */
import * as path from 'node:path';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export const fontFamily = 'DejaVu Sans';

const fontDir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');

/** Regular for the text, bold for the titles. */
export const fontFiles = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => path.join(fontDir, f));

const resvgOptions: ResvgRenderOptions = {
  font: { loadSystemFonts: false, fontFiles, defaultFontFamily: fontFamily, sansSerifFamily: fontFamily },
  background: 'white',
  logLevel: 'error',
};

/** The compiled vega spec; throws where vega-lite rejects the spec. */
export function compileSpec(spec: TopLevelSpec): vega.Spec {
  // vega-lite's output type is its own copy of vega's spec type, the same shape.
  return compile(spec).spec;
}

/** A headless view of the spec, already run, so its scales and sizes can be read. */
export async function runView(spec: TopLevelSpec): Promise<vega.View> {
  const view = new vega.View(vega.parse(compileSpec(spec)), { renderer: 'none' });
  await view.runAsync();
  return view;
}

export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, resvgOptions).render().asPng();
}

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Width in pixels of `text` as resvg draws it in the chart font. */
export function textWidth(text: string, fontSize: number): number {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="${4 * fontSize}"><text x="0" y="${2 * fontSize}" font-family="${fontFamily}" font-size="${fontSize}">${escapeXml(text)}</text></svg>`;
  return new Resvg(svg, resvgOptions).getBBox()?.width ?? 0;
}
