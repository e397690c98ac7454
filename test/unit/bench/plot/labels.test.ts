import { strict as assert } from 'node:assert';
import { placeLabels, type Box } from '../../../../bench/lib/plot/labels';

describe('chart labels', () => {
  it('places labels clear of the dots, of each other and of the edges', () => {
    const area = { width: 400, height: 300 };
    const spots = [
      { x: 100, y: 100, w: 80, h: 16 },
      { x: 110, y: 100, w: 80, h: 16 },
      { x: 395, y: 150, w: 80, h: 16 },
    ];
    const boxes = placeLabels(spots, area, 6);
    const overlap = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
    const dots = spots.map((s) => ({ x: s.x - 6, y: s.y - 6, w: 12, h: 12 }));
    boxes.forEach((b, i) => {
      assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= area.width && b.y + b.h <= area.height, `label ${i} inside`);
      assert.ok(!dots.some((d) => overlap(b, d)), `label ${i} clear of the dots`);
      assert.ok(!boxes.some((o, j) => j !== i && overlap(b, o)), `label ${i} clear of the others`);
    });
    assert.ok(boxes[2]!.x + boxes[2]!.w <= spots[2]!.x, 'a dot at the right edge gets its label on the left');
  });
});
