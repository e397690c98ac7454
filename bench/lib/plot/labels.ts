/**
 * Places point labels in pixel space so that they neither cover a dot nor each other, nor leave
 * the plot area.
 */

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LabelSpot {
  /** The dot's centre, in pixels from the plot area's top left. */
  x: number;
  y: number;
  /** The label's size in pixels. */
  w: number;
  h: number;
}

const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** Beside the dot first, then stacked further and further above and below it. */
function candidates({ x, y, w, h }: LabelSpot, radius: number): Box[] {
  const gap = radius + 5;
  const boxes: Box[] = [
    { x: x + gap, y: y - h / 2, w, h },
    { x: x - gap - w, y: y - h / 2, w, h },
  ];
  for (let level = 0; level < 4; level++) {
    const lift = gap + level * (h + 4);
    for (const bx of [x - w / 2, x - w + radius, x - radius]) boxes.push({ x: bx, y: y - lift - h, w, h }, { x: bx, y: y + lift, w, h });
  }
  return boxes;
}

/**
 * One box per spot, in order: the first candidate inside the plot area that touches no dot and
 * no label placed before it; failing that, the first inside; failing that, the first.
 */
export function placeLabels(spots: readonly LabelSpot[], area: { width: number; height: number }, radius: number): Box[] {
  const taken: Box[] = spots.map((s) => ({ x: s.x - radius - 1, y: s.y - radius - 1, w: 2 * radius + 2, h: 2 * radius + 2 }));
  const inside = (b: Box) => b.x >= 0 && b.x + b.w <= area.width && b.y >= 0 && b.y + b.h <= area.height;
  return spots.map((spot) => {
    const options = candidates(spot, radius);
    const box = options.find((b) => inside(b) && !taken.some((t) => overlaps(b, t))) ?? options.find(inside) ?? options[0]!;
    taken.push(box);
    return box;
  });
}
