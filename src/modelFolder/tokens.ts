/**
 * The manifest's token fields: special token ids, language tokens, which ends a request's sequence
 * carries, and the model family. Read by manifest.ts; each failure names the field.
 */
import { asObject, type Fail } from './json';
import type { SpecialTokens } from './manifest';

/**
 * Whether the sequence starts with bos (`bosFirst`) and ends with eos (`eosLast`), each where the
 * model has that token: the extension's own models were trained with both; a published model gets
 * what its tokenizer adds (LLaDA's adds bos, the Dream family's adds nothing).
 */
export interface PromptEnds {
  bos: boolean;
  eos: boolean;
}

export function readPromptEnds(root: Record<string, unknown>, fail: Fail): PromptEnds {
  const flag = (key: string): boolean => {
    const v = root[key];
    if (v === undefined) return true;
    if (typeof v !== 'boolean') fail(`"${key}" must be true or false`);
    return v;
  };
  return { bos: flag('bosFirst'), eos: flag('eosLast') };
}

/** `family`: a short lower-case name (`dream`, `llada`), informational; absent for the extension's own models. */
export function optFamily(root: Record<string, unknown>, fail: Fail): string | undefined {
  const v = root.family;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(v)) fail('"family" must be a short lower-case name such as "dream" or "llada"');
  return v;
}

export function readSpecialTokens(root: Record<string, unknown>, vocabSize: number, fail: Fail): SpecialTokens {
  const st = asObject(root.specialTokens, '"specialTokens"', fail);
  const tokenId = (key: string, nullable: boolean): number | null => {
    const v = st[key];
    if (nullable && (v === null || v === undefined)) return null;
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= vocabSize) {
      fail(`"specialTokens.${key}" must be a token id in [0, vocabSize=${vocabSize})${nullable ? ' or null' : ''}`);
    }
    return v as number;
  };
  const specialTokens: SpecialTokens = {
    mask: tokenId('mask', false) as number,
    pad: tokenId('pad', false) as number,
    bos: tokenId('bos', true),
    eos: tokenId('eos', true),
  };
  if (specialTokens.mask === specialTokens.pad) fail('"specialTokens.mask" and "specialTokens.pad" must differ');
  return specialTokens;
}

export function readLanguageTokens(root: Record<string, unknown>, vocabSize: number, fail: Fail): Record<string, number> | undefined {
  if (root.languageTokens === undefined || root.languageTokens === null) return undefined;
  const lt = asObject(root.languageTokens, '"languageTokens"', fail);
  const languageTokens: Record<string, number> = {};
  for (const [lang, id] of Object.entries(lt)) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= vocabSize) {
      fail(`"languageTokens.${lang}" must be a token id in [0, vocabSize=${vocabSize})`);
    }
    languageTokens[lang] = id as number;
  }
  return languageTokens;
}

