/**
 * The manifest's `lengthChoice`: how the engine picks a request's canvas length (src/engine/length.ts).
 * Absent: the canvas is as long as the request allows, as for the extension's own models.
 */
import type { Fail } from './json';

/**
 * `endProbability`: a first pass over the longest canvas reads where the model expects the middle to
 * end, and the request denoises a canvas of about that length. For models trained to fill the
 * unused tail with their end token, whose answers suffer when the canvas is much too long.
 */
export type LengthChoice = 'endProbability';

export const LENGTH_CHOICES: readonly LengthChoice[] = ['endProbability'];

export function optLengthChoice(root: Record<string, unknown>, fail: Fail): LengthChoice | undefined {
  const v = root.lengthChoice;
  if (v === undefined || v === null) return undefined;
  if (!(LENGTH_CHOICES as readonly unknown[]).includes(v)) {
    fail(`unknown "lengthChoice" ${JSON.stringify(v)} (expected ${LENGTH_CHOICES.map((c) => `"${c}"`).join(' or ')})`);
  }
  return v as LengthChoice;
}
