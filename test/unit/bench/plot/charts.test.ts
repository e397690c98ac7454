import { strict as assert } from 'node:assert';
import { Resvg } from '@resvg/resvg-js';
import { histogramSpec, renderHistogram, renderScatter, scatterSpec } from '../../../../bench/lib/plot/charts';
import { compileSpec } from '../../../../bench/lib/plot/render';

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the IHDR chunk, which must come first. */
function pngSize(png: Buffer): { width: number; height: number } {
  assert.deepEqual(png.subarray(0, 8), pngSignature);
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Decodes the PNG (resvg reads it as an embedded image at its own size) and counts pixels per RGB colour. */
function colourCounts(png: Buffer): Map<string, number> {
  const { width, height } = pngSize(png);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><image width="${width}" height="${height}" image-rendering="optimizeSpeed" href="data:image/png;base64,${png.toString('base64')}"/></svg>`;
  const image = new Resvg(svg).render();
  assert.deepEqual([image.width, image.height], [width, height]);
  const counts = new Map<string, number>();
  const px = image.pixels;
  for (let i = 0; i < px.length; i += 4) {
    // RGBA: four bytes a pixel.
    const key = `#${[px[i]!, px[i + 1]!, px[i + 2]!].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

// The first colours of vega's category10 scheme, which both charts use.
const blue = '#1f77b4';
const orange = '#ff7f0e';
const green = '#2ca02c';

const text = { title: 'Speed vs quality', subtitle: 'made-up data', xLabel: 'forward passes', yLabel: 'pass@1' };
const points = [
  { x: 32, y: 0.4, label: 'lowConfidence S=32', group: 'lowConfidence' },
  { x: 10, y: 0.42, label: 'saber', group: 'saber' },
  { x: 6, y: 0.35, label: 'threshold 0.9', group: 'threshold' },
];

describe('plot rendering', () => {
  it('compiles both chart specs to vega with their marks', () => {
    const scatter = compileSpec(scatterSpec(text, points, [{ ...points[0]!, labelX: 33, labelY: 0.4 }]));
    assert.ok(JSON.stringify(scatter.marks).includes('"line"'), 'frontier line');
    assert.ok(JSON.stringify(scatter.marks).includes('"text"'), 'labels');
    const hist = compileSpec(histogramSpec({ title: 'Latency', xLabel: 'ms', yLabel: 'requests' }, [{ name: 'short', values: [100, 120, 150] }]));
    assert.ok(JSON.stringify(hist.marks).includes('"rect"'), 'bars');
    assert.ok(hist.legends?.length, 'legend');
  });

  it('draws a scatter chart as a PNG of the asked size with every point in its colour', async () => {
    const png = await renderScatter(text, points, { size: { width: 640, height: 400 } });
    assert.deepEqual(pngSize(png), { width: 640, height: 400 });
    const counts = colourCounts(png);
    assert.ok(counts.size > 20, `${counts.size} colours`);
    for (const colour of [blue, orange, green]) assert.ok((counts.get(colour) ?? 0) > 60, `${colour}: ${counts.get(colour) ?? 0} pixels`);
  });

  it('draws a histogram whose bars grow with the counts', async () => {
    const fast = Array.from({ length: 50 }, (_, i) => 100 + (i % 10));
    const slow = Array.from({ length: 10 }, (_, i) => 300 + i);
    const png = await renderHistogram({ title: 'Latency', xLabel: 'ms', yLabel: 'requests' }, [
      { name: 'short', values: fast },
      { name: 'long', values: slow },
    ]);
    assert.deepEqual(pngSize(png), { width: 960, height: 600 });
    const counts = colourCounts(png);
    const a = counts.get(blue) ?? 0;
    const b = counts.get(orange) ?? 0;
    assert.ok(b > 0 && a > 3 * b, `the 50-request series (${a} px) should outweigh the 10-request one (${b} px)`);
  });
});
