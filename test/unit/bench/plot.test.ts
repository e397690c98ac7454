import { strict as assert } from 'node:assert';
import { PNG } from 'pngjs';
import { binEdges, histogram, mergeCoincident, niceTicks, palette, paretoFrontier, renderHistogram, renderScatter } from '../../bench/lib/plot/charts';
import { glyph, glyphHeight, glyphWidth, hasGlyph } from '../../bench/lib/plot/font';
import { Raster } from '../../bench/lib/plot/raster';

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Decodes the PNG (pngjs checks chunk CRCs and the zlib stream) and counts pixels of `color`. */
function countColor(png: Buffer, color: readonly number[]): { width: number; height: number; count: number } {
  const image = PNG.sync.read(png);
  let count = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    if (image.data[i] === color[0] && image.data[i + 1] === color[1] && image.data[i + 2] === color[2]) count++;
  }
  return { width: image.width, height: image.height, count };
}

describe('plot rendering', () => {
  it('draws a scatter chart as a valid PNG with every point in its colour', () => {
    const points = [
      { x: 32, y: 0.4, label: 'lowConfidence S=32', color: palette[0] },
      { x: 10, y: 0.42, label: 'saber', color: palette[1] },
      { x: 6, y: 0.35, label: 'threshold 0.9', color: palette[2] },
    ];
    const png = renderScatter({ title: 'Speed vs quality', xLabel: 'forward passes', yLabel: 'pass@1' }, points, { size: { width: 640, height: 400 } }).toPng();
    assert.deepEqual(png.subarray(0, 8), pngSignature);
    for (const p of points) {
      const { width, height, count } = countColor(png, p.color);
      assert.equal(width, 640);
      assert.equal(height, 400);
      assert.ok(count > 100, `point ${p.label} drawn with ${count} pixels`);
    }
  });

  it('draws a histogram whose bars grow with the counts', () => {
    const fast = Array.from({ length: 50 }, (_, i) => 100 + (i % 10));
    const slow = Array.from({ length: 10 }, (_, i) => 300 + i);
    const png = renderHistogram({ title: 'Latency', xLabel: 'ms', yLabel: 'requests' }, [
      { name: 'short', values: fast, color: palette[0] },
      { name: 'long', values: slow, color: palette[1] },
    ]).toPng();
    const a = countColor(png, palette[0]).count;
    const b = countColor(png, palette[1]).count;
    assert.ok(a > 3 * b, `the 50-request series (${a} px) should outweigh the 10-request one (${b} px)`);
  });

  it('writes text with the bitmap font', () => {
    const r = new Raster(60, 20);
    r.text(2, 2, 'Ab1', [0, 0, 0], 1);
    let ink = 0;
    for (let y = 0; y < 20; y++) for (let x = 0; x < 60; x++) if (r.getPixel(x, y)[0] === 0) ink++;
    const expected = ['A', 'b', '1'].reduce((n, ch) => n + glyph(ch).flat().filter(Boolean).length, 0);
    assert.equal(ink, expected);
    assert.equal(Raster.textWidth('Ab1', 2), (3 * (glyphWidth + 1) - 1) * 2);
  });

  it('has a glyph for every printable ASCII character, each the same size', () => {
    for (let c = 32; c < 127; c++) {
      const ch = String.fromCharCode(c);
      assert.ok(hasGlyph(ch), `no glyph for ${JSON.stringify(ch)}`);
      const rows = glyph(ch);
      assert.equal(rows.length, glyphHeight);
      assert.ok(rows.every((r) => r.length === glyphWidth));
    }
    assert.deepEqual(glyph('\u00e9'), glyph('?'));
  });
});

describe('chart arithmetic', () => {
  it('picks round ticks that cover the range', () => {
    assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(0, 34), [0, 5, 10, 15, 20, 25, 30, 35]);
    assert.deepEqual(niceTicks(0, 80), [0, 20, 40, 60, 80]);
    assert.deepEqual(niceTicks(0.31, 0.43), [0.3, 0.32, 0.34, 0.36, 0.38, 0.4, 0.42, 0.44]);
    const flat = niceTicks(5, 5);
    assert.ok(flat[0] < 5 && flat[flat.length - 1] > 5);
    assert.throws(() => niceTicks(0, NaN), RangeError);
  });

  it('finds the Pareto frontier: fewest passes for the best pass@1', () => {
    const pts = [
      { x: 32, y: 0.4, id: 'lc32' },
      { x: 8, y: 0.3, id: 'lc8' },
      { x: 11, y: 0.42, id: 'saber' },
      { x: 12, y: 0.42, id: 'saber-dup' },
      { x: 6, y: 0.37, id: 'thr' },
    ];
    assert.deepEqual(paretoFrontier(pts).map((p) => p.id), ['thr', 'saber']);
  });

  it('merges points that would be drawn on top of each other', () => {
    const merged = mergeCoincident(
      [
        { x: 100, y: 50, label: 'saber', color: palette[0] },
        { x: 102, y: 49, label: 'saber remask=onDrop', color: palette[1] },
        { x: 300, y: 50, label: 'threshold 0.9', color: palette[2] },
      ],
      4,
    );
    assert.deepEqual(merged.map((p) => [p.x, p.y, p.label]), [
      [100, 50, 'saber = saber remask=onDrop'],
      [300, 50, 'threshold 0.9'],
    ]);
    assert.notDeepEqual(merged[0].color, palette[0]);
    assert.deepEqual(merged[1].color, palette[2]);
  });

  it('counts values into bins, edges included', () => {
    const edges = [0, 10, 20, 30];
    assert.deepEqual(histogram([0, 5, 10, 19.9, 30, 31, -1], edges), [2, 2, 1]);
    const values = [103, 117, 250, 411];
    const e = binEdges(values, 8);
    assert.ok(e[0] <= 103 && e[e.length - 1] >= 411);
    assert.equal(histogram(values, e).reduce((a, b) => a + b, 0), values.length);
  });
});
