/**
 * Commit windows: which canvas positions a pass may commit and re-mask, and in how many passes
 * they must be done. A rule composed into the denoising loop (denoise.ts) beside the commit,
 * re-mask, budget and stop rules, which work unchanged inside the window it opens.
 */
import type { Canvas } from '../canvas';

/** The canvas positions [from, to) of one pass, and the passes they get (this one included, ≥ 1). */
export interface CommitWindow {
  from: number;
  to: number;
  passesLeft: number;
}

export interface WindowRule {
  readonly name: string;
  /** `masked`: the masked positions that still matter, in order; `passesLeft`: the whole budget's (≥ 1). */
  open(canvas: Canvas, masked: readonly number[], passesLeft: number): CommitWindow;
}

/** Every position, in the whole budget: denoising as the non-block models were trained. */
export const wholeCanvas: WindowRule = {
  name: 'wholeCanvas',
  open: (canvas, _masked, passesLeft) => ({ from: 0, to: canvas.length, passesLeft }),
};

/**
 * Block by block, as the block-causal families (SDAR, Fast-dLLM v2) generate: blocks of
 * `blockLength` tokens counted from sequence position 0, the canvas starting at `canvasStart`
 * (so its first block may be partial, shared with the prefix's last tokens); only the earliest
 * block with masked positions is open, and it is finished before the next one starts.
 *
 * The budget is global, so the window's passes are the remaining budget's share by masked count:
 * ⌈passes left × block's masked / all masked⌉, at least 1 and leaving one pass to each later
 * block. Recomputed every pass, so commits above the budget's need return passes to the rest.
 * Where fewer passes are left than blocks, the window widens over the earliest blocks until one
 * pass each fits: the canvas is always finished within the budget.
 */
export function blockWindow(blockLength: number, canvasStart: number): WindowRule {
  const blockOf = (i: number): number => Math.floor((canvasStart + i) / blockLength);
  return {
    name: 'blocks',
    open(canvas, masked, passesLeft) {
      if (masked.length === 0) return wholeCanvas.open(canvas, masked, passesLeft);
      const blocks: number[] = []; // distinct blocks with masked positions, in order
      for (const i of masked) if (blocks[blocks.length - 1] !== blockOf(i)) blocks.push(blockOf(i));
      const opened = Math.max(1, blocks.length - Math.max(1, passesLeft) + 1);
      const lastBlock = blocks[opened - 1]!;
      const from = Math.max(0, blocks[0]! * blockLength - canvasStart);
      const to = Math.min(canvas.length, (lastBlock + 1) * blockLength - canvasStart);
      const later = blocks.length - opened;
      if (later === 0) return { from, to, passesLeft };
      const inWindow = masked.filter((i) => i < to).length;
      const share = Math.ceil((passesLeft * inWindow) / masked.length);
      return { from, to, passesLeft: Math.max(1, Math.min(share, passesLeft - later)) };
    },
  };
}
