/**
 * The block-causal attention rule as an additive mask built inside the graph from token positions,
 * so one graph serves every sequence length: query position i may attend to key position j when
 * floor(j / b) ≤ floor(i / b), blocks of b tokens counted from position 0 (SDAR's inference mask).
 * Forbidden pairs get a large negative score, which softmax turns into an exact zero in fp32.
 */
import type { GraphBuilder } from './graph';

/** Added to a forbidden score: finite, so a row never becomes NaN, yet far below any real score. */
const FORBIDDEN = -1e30;

/** The additive mask [Lq, Lk] for int64 positions `queries` [Lq] and `keys` [Lk]. */
export function blockCausalMask(g: GraphBuilder, queries: string, keys: string, blockLength: number): string {
  const size = g.ints([blockLength], true);
  // Positions are never negative, so integer division is the floor.
  const queryBlocks = g.op('Unsqueeze', [g.op('Div', [queries, size]), g.ints([1])], undefined, 'query_blocks');
  const keyBlocks = g.op('Unsqueeze', [g.op('Div', [keys, size]), g.ints([0])], undefined, 'key_blocks');
  const later = g.op('Greater', [keyBlocks, queryBlocks], undefined, 'later_block');
  return g.op('Where', [later, g.floats([FORBIDDEN], true), g.floats([0], true)], undefined, 'block_mask');
}

/**
 * The denoise graph's mask [Q, C + Q] for canvas positions [Q] and `cachedLength` [1] = C: the C
 * cached positions all visible (they precede the canvas when the model takes no suffix), the Q
 * canvas positions block-causal among themselves.
 */
export function canvasBlockMask(g: GraphBuilder, positions: string, cachedLength: string, blockLength: number): string {
  const q = g.op('Shape', [positions]);
  // ConstantOfShape's default value is a float zero.
  const visible = g.op('ConstantOfShape', [g.op('Concat', [q, cachedLength], { axis: 0 })], undefined, 'cached_visible');
  return g.op('Concat', [visible, blockCausalMask(g, positions, positions, blockLength)], { axis: 1 }, 'canvas_mask');
}
