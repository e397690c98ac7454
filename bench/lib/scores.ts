/**
 * Comparing a completion with the reference middle, for tasks with no tests to run. Both ignore
 * trailing whitespace, which an editor trims or the user never sees.
 */
import { distance } from 'fastest-levenshtein';

/** The completion equals the reference once trailing whitespace is stripped from both. */
export function exactMatch(completion: string, reference: string): boolean {
  return completion.trimEnd() === reference.trimEnd();
}

/**
 * 1 − Levenshtein distance / the longer length, over characters (UTF-16 code units), as CodeXGLUE
 * and CrossCodeEval report it: 1 for an exact match, 0 for nothing in common; 1 when both are empty.
 */
export function editSimilarity(completion: string, reference: string): number {
  const a = completion.trimEnd();
  const b = reference.trimEnd();
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 1 : 1 - distance(a, b) / longer;
}
