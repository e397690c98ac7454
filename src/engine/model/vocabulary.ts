/**
 * The manifest's rules about token ids, whatever the contract: which ids the sampler may never
 * commit, and which special tokens a request's sequence starts and ends with.
 */
import type { TextTokenizer } from '../tokenizer';
import { LANGUAGE_DIALECTS, LANGUAGE_FALLBACK } from '../../protocol/decoding';
import type { ManifestBase } from '../../modelFolder/manifest';

/** The manifest fields the vocabulary rules read. */
export type VocabularyManifest = Pick<ManifestBase, 'vocabSize' | 'specialTokens' | 'languageTokens' | 'lengthTokens'>;

/**
 * Tokens the sampler may never commit: the mask, bos, language tokens, the tokenizer's other
 * special tokens, and ids the tokenizer cannot decode. Pad and eos stay: they end the middle; so do
 * the expand and delete tokens of a model that changes its canvas length (they never reach the text).
 */
export function bannedTokens(m: VocabularyManifest, tokenizer: Pick<TextTokenizer, 'specialIds' | 'idToToken'>): Uint8Array {
  const banned = new Uint8Array(m.vocabSize);
  const { mask, pad, bos, eos } = m.specialTokens;
  for (let id = 0; id < m.vocabSize; id++) if (tokenizer.idToToken(id) === undefined) banned[id] = 1;
  for (const id of tokenizer.specialIds) if (id < m.vocabSize) banned[id] = 1;
  for (const id of Object.values(m.languageTokens ?? {})) banned[id] = 1;
  banned[mask] = 1;
  if (bos !== null) banned[bos] = 1;
  banned[pad] = 0;
  if (eos !== null) banned[eos] = 0;
  if (m.lengthTokens) {
    banned[m.lengthTokens.expand] = 0;
    banned[m.lengthTokens.delete] = 0;
  }
  return banned;
}

/** The language token for a VS Code language id: its own, else its base language's, else the fallback entry (`other`), else none. */
export function languageToken(m: Pick<ManifestBase, 'languageTokens'>, language: string | undefined): number | undefined {
  const table = m.languageTokens;
  if (table === undefined) return undefined;
  const has = (id: string | undefined): id is string => !!id && Object.prototype.hasOwnProperty.call(table, id);
  if (has(language)) return table[language];
  const base = language ? LANGUAGE_DIALECTS[language] : undefined;
  if (has(base)) return table[base];
  return table[LANGUAGE_FALLBACK];
}

/**
 * The tokens around a request's text: head = [bos] [language], tail = [eos], each left out when the
 * manifest has none or its promptEnds leave it out.
 */
export function sequenceEnds(m: Pick<ManifestBase, 'specialTokens' | 'languageTokens' | 'promptEnds'>, language: string | undefined): { head: number[]; tail: number[] } {
  const { bos, eos } = m.specialTokens;
  const head = [m.promptEnds.bos ? bos : null, languageToken(m, language)].filter((t): t is number => t !== null && t !== undefined);
  return { head, tail: eos === null || !m.promptEnds.eos ? [] : [eos] };
}
