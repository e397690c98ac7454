/**
 * The manifest's `takesSuffix`: whether the model can see text after the canvas. A block-causal
 * model (SDAR: causal across blocks, bidirectional within one) cannot, since every suffix token
 * lies in a later block than the canvas; the engine then lays out prefix · canvas and leaves the
 * suffix out (the cached mode's denoise graph lets the canvas see every cached position, which
 * is right only when they all precede it). Absent: true.
 */
import type { Fail } from './json';

export function optTakesSuffix(root: Record<string, unknown>, fail: Fail): boolean | undefined {
  const v = root.takesSuffix;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail('"takesSuffix" must be true or false');
  return v;
}
