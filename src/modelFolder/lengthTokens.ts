/**
 * The manifest's `lengthTokens`: a model that changes the canvas's length while it denoises
 * (DreamOn). A committed `expand` becomes two masked positions, a committed `delete` is removed
 * (sampler/lengthEdits.ts). Absent: the canvas keeps its length.
 */
import { asObject, type Fail } from './json';
import type { SpecialTokens } from './manifest';

export interface LengthTokens {
  expand: number;
  /** DreamOn's is its eos (its generation config takes the delete id from eos_token_id). */
  delete: number;
}

export function optLengthTokens(root: Record<string, unknown>, vocabSize: number, special: SpecialTokens, fail: Fail): LengthTokens | undefined {
  const v = root.lengthTokens;
  if (v === undefined || v === null) return undefined;
  const o = asObject(v, '"lengthTokens"', fail);
  const id = (key: 'expand' | 'delete'): number => {
    const t = o[key];
    if (!Number.isInteger(t) || (t as number) < 0 || (t as number) >= vocabSize) fail(`"lengthTokens.${key}" must be a token id from 0 to ${vocabSize - 1}`);
    return t as number;
  };
  const tokens: LengthTokens = { expand: id('expand'), delete: id('delete') };
  if (tokens.expand === tokens.delete) fail('"lengthTokens" expand and delete must be different tokens');
  // The expand token may be none of the specials; the delete token may be the end token (DreamOn's is, and its
  // config.json's bos is that same id) but not the mask.
  const clash = (key: 'expand' | 'delete', roles: (keyof SpecialTokens)[]): void => {
    for (const role of roles) if (special[role] === tokens[key]) fail(`"lengthTokens.${key}" must not be the ${role} token (${tokens[key]})`);
  };
  clash('expand', ['mask', 'pad', 'bos', 'eos']);
  clash('delete', ['mask']);
  return tokens;
}
