import { strict as assert } from 'node:assert';
import { binEdges, groupedBars, histogram, mergeCoincident, paretoFrontier } from '../../../../bench/lib/plot/data';

describe('chart arithmetic', () => {
  it('finds the Pareto frontier: fewest passes for the best pass@1', () => {
    const pts = [
      { x: 32, y: 0.4, id: 'lc32' },
      { x: 8, y: 0.3, id: 'lc8' },
      { x: 11, y: 0.42, id: 'saber' },
      { x: 12, y: 0.42, id: 'saber-dup' },
      { x: 6, y: 0.37, id: 'thr' },
    ];
    assert.deepEqual(
      paretoFrontier(pts).map((p) => p.id),
      ['thr', 'saber'],
    );
  });

  it('merges points that would be drawn on top of each other', () => {
    const merged = mergeCoincident(
      [
        { x: 100, y: 50, label: 'saber', group: 'saber' },
        { x: 102, y: 49, label: 'saber remask=onDrop', group: 'saber remask=onDrop' },
        { x: 300, y: 50, label: 'lowConfidence S=32', group: 'lowConfidence' },
        { x: 301, y: 50, label: 'lowConfidence S=16', group: 'lowConfidence' },
        { x: 500, y: 50, label: 'threshold 0.9', group: 'threshold' },
      ],
      4,
    );
    assert.deepEqual(
      merged.map((p) => [p.x, p.y, p.label, p.group]),
      [
        [100, 50, 'saber = saber remask=onDrop', null],
        [300, 50, 'lowConfidence S=32 = lowConfidence S=16', 'lowConfidence'],
        [500, 50, 'threshold 0.9', 'threshold'],
      ],
    );
  });

  it('counts values into bins, edges included', () => {
    const edges = [0, 10, 20, 30];
    assert.deepEqual(histogram([0, 5, 10, 19.9, 30, 31, -1], edges), [2, 2, 1]);
    const values = [103, 117, 250, 411];
    const e = binEdges(values, 8);
    assert.ok(e[0]! <= 103 && e[e.length - 1]! >= 411, e.join(','));
    assert.ok(e.length - 1 <= 8, `${e.length - 1} bins`);
    assert.deepEqual(
      e.slice(0, 3).map((v) => v - e[0]!),
      [0, 50, 100],
    );
    assert.equal(
      histogram(values, e).reduce((a, b) => a + b, 0),
      values.length,
    );
    const one = binEdges([7, 7], 16);
    assert.ok(one[0]! <= 7 && one[one.length - 1]! >= 7 && one.length >= 2, one.join(','));
    assert.deepEqual(binEdges([], 16), [0, 1]);
  });

  it('splits each bin among the series, leaving out empty bars', () => {
    const bars = groupedBars(
      [
        { name: 'short', values: [1, 2, 3, 12] },
        { name: 'long', values: [15] },
      ],
      [0, 10, 20],
      0,
    );
    assert.deepEqual(bars, [
      { series: 'short', x0: 0, x1: 5, count: 3 },
      { series: 'short', x0: 10, x1: 15, count: 1 },
      { series: 'long', x0: 15, x1: 20, count: 1 },
    ]);
    const gapped = groupedBars([{ name: 'a', values: [1] }], [0, 10]);
    const [bar] = gapped;
    assert.ok(bar && bar.x0 > 0 && bar.x1 < 10);
  });
});
