/**
 * The special token ids a converted model's manifest states, and whether its prompts start with
 * bos, read from the checkpoint's own files, never from ids written into the code. Each id is
 * looked up where the published models keep it, in this order:
 *   mask  config.json mask_token_id, generation_config.json, tokenizer_config.json mask_token
 *   pad   tokenizer_config.json pad_token (what the tokenizer padded training data with: DiffuCoder's
 *         <|dlm_pad|> while its config.json says <|endoftext|>), generation_config.json, config.json,
 *         else eos (Dream and LLaDA pad with eos)
 *   eos   config.json, generation_config.json (the first of a list), tokenizer_config.json eos_token
 *   bos   config.json, generation_config.json, tokenizer_config.json bos_token, else none
 * Token strings are resolved through tokenizer.json (its added tokens, then its vocabulary).
 *
 * DreamOn (a Dream-family checkpoint that grows and shrinks its canvas) is recognised by its expand
 * token: config.json or generation_config.json expand_token_id, else the added token `<|expand|>`.
 * Its delete token is generation_config.json's delete_token_id where stated, else its eos: DreamOn's
 * generation config takes delete_token_id from eos_token_id, its evaluation deletes eos
 * (`delete_eos_token`) and its training appends eos to the middle as the deletion targets, so a
 * `<|delete|>` string in the tokenizer is not what the model learnt to commit. DreamOn's prompts are
 * [bos] prefix · masks · suffix [eos] (its quickstart and eval/generator.py add both).
 */
import * as fs from 'node:fs';
import type { JsonObject } from './checkpoint';
import { ConvertError } from './errors';
import type { Family } from './families/family';

export interface SpecialTokenIds {
  mask: number;
  pad: number;
  bos: number | null;
  eos: number | null;
}

export interface TokenFacts {
  specialTokens: SpecialTokenIds;
  /** The sequence starts with bos (the tokenizer adds it to every text). */
  bosFirst: boolean;
  /** The sequence ends with eos after the suffix: no family's tokenizer adds one; DreamOn's prompts have it. */
  eosLast: boolean;
  /** DreamOn's expand and delete tokens; absent for a model whose canvas keeps its length. */
  lengthTokens?: { expand: number; delete: number };
}

export interface TokenSources {
  config: JsonObject;
  generationConfig: JsonObject | undefined;
  tokenizerConfig: JsonObject | undefined;
  tokenizerPath: string;
}

/** tokenizer.json, as far as the converter reads it. */
interface TokenizerJson {
  added_tokens?: { id: number; content: string }[];
  model?: { vocab?: unknown };
  post_processor?: { type?: string; single?: unknown[] } | null;
}

export function readTokenFacts(sources: TokenSources, family: Family, vocabSize: number): TokenFacts {
  const tokenizer = readTokenizer(sources.tokenizerPath);
  const { config, generationConfig: gen = {}, tokenizerConfig: tok = {} } = sources;
  const fromTokenizer = (key: string): number | undefined => tokenId(tokenizer, tok[key]);

  const mask = idIn(config.mask_token_id) ?? idIn(gen.mask_token_id) ?? fromTokenizer('mask_token');
  const eos = idIn(config.eos_token_id) ?? idIn(gen.eos_token_id) ?? fromTokenizer('eos_token') ?? null;
  const pad = fromTokenizer('pad_token') ?? idIn(gen.pad_token_id) ?? idIn(config.pad_token_id) ?? eos;
  const bos = idIn(config.bos_token_id) ?? idIn(gen.bos_token_id) ?? fromTokenizer('bos_token') ?? null;
  if (mask === undefined) {
    throw new ConvertError('no mask token: config.json and generation_config.json have no mask_token_id, and tokenizer_config.json no mask_token');
  }
  if (pad === null) throw new ConvertError('no pad token: the checkpoint names neither a pad token nor an eos token to pad with');
  if (mask === pad) throw new ConvertError(`the mask token and the pad token are the same id (${mask})`);
  const ids: SpecialTokenIds = { mask, pad, bos, eos };
  for (const [role, id] of Object.entries(ids)) {
    if (id !== null && (id < 0 || id >= vocabSize)) throw new ConvertError(`the ${role} token id ${id} is outside the model's ${vocabSize} logits`);
  }
  const lengthTokens = family.editsLength ? readLengthTokens(sources, tokenizer, ids, vocabSize) : undefined;
  if (lengthTokens) return { specialTokens: ids, bosFirst: bos !== null, eosLast: eos !== null, lengthTokens };
  const bosFirst = bos !== null && (addsBos(tok, tokenizer, bos) ?? family.bosFirstDefault);
  return { specialTokens: ids, bosFirst, eosLast: false };
}

/** DreamOn's expand and delete tokens (see the top of this file), or undefined where the checkpoint has no expand token. */
function readLengthTokens(sources: TokenSources, tokenizer: TokenizerJson, ids: SpecialTokenIds, vocabSize: number): TokenFacts['lengthTokens'] {
  const { config, generationConfig: gen = {} } = sources;
  const expand = idIn(config.expand_token_id) ?? idIn(gen.expand_token_id) ?? tokenId(tokenizer, '<|expand|>');
  if (expand === undefined) return undefined;
  const del = idIn(gen.delete_token_id) ?? idIn(config.delete_token_id) ?? ids.eos;
  if (del === null) throw new ConvertError('the checkpoint has an expand token but neither a delete token nor an eos to delete with');
  for (const [role, id] of [['expand', expand], ['delete', del]] as const) {
    if (id >= vocabSize) throw new ConvertError(`the ${role} token id ${id} is outside the model's ${vocabSize} logits`);
  }
  if (expand === del || expand === ids.mask || expand === ids.pad || expand === ids.eos || expand === ids.bos) {
    throw new ConvertError(`the expand token id ${expand} is also the delete token or a special token`);
  }
  return { expand, delete: del };
}

function readTokenizer(file: string): TokenizerJson {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as TokenizerJson;
  } catch (e) {
    throw new ConvertError(`${file}: cannot read as JSON (${(e as Error).message})`);
  }
}

/** An id from a config value: a non-negative integer, or the first of a list (generation_config's eos). */
function idIn(value: unknown): number | undefined {
  const v: unknown = Array.isArray(value) ? value[0] : value;
  return Number.isInteger(v) && (v as number) >= 0 ? (v as number) : undefined;
}

/** The id of a tokenizer_config.json token entry: a string, or an added-token object with `content`. */
function tokenId(tokenizer: TokenizerJson, entry: unknown): number | undefined {
  const content = typeof entry === 'string' ? entry : typeof entry === 'object' && entry !== null ? (entry as { content?: unknown }).content : undefined;
  if (typeof content !== 'string') return undefined;
  const added = tokenizer.added_tokens?.find((t) => t.content === content);
  if (added) return added.id;
  const vocab = tokenizer.model?.vocab;
  if (typeof vocab === 'object' && vocab !== null && !Array.isArray(vocab)) return idIn((vocab as Record<string, unknown>)[content]);
  return undefined;
}

/**
 * Whether the tokenizer puts bos first: tokenizer_config.json's add_bos_token when it says, else a
 * tokenizer.json template that starts with the bos token; undefined when neither tells.
 */
function addsBos(tok: JsonObject, tokenizer: TokenizerJson, bos: number): boolean | undefined {
  if (typeof tok.add_bos_token === 'boolean') return tok.add_bos_token;
  const post = tokenizer.post_processor;
  if (post?.type !== 'TemplateProcessing' || !Array.isArray(post.single)) return undefined;
  const first = post.single[0] as { SpecialToken?: { id?: string } } | undefined;
  const special = first?.SpecialToken?.id;
  return special !== undefined && tokenId(tokenizer, special) === bos;
}
