/**
 * Special token ids and bosFirst, read from a checkpoint's config.json, generation_config.json,
 * tokenizer_config.json and tokenizer.json in the order tokens.ts states.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConvertError } from '../../../src/convert/errors';
import { dream } from '../../../src/convert/families/dream';
import { llada } from '../../../src/convert/families/llada';
import { readTokenFacts, type TokenSources } from '../../../src/convert/tokens';
import { DREAM_SPEC, LLADA_SPEC, configFor, tokenizerJson } from './tinyCheckpoint';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-tokens-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Sources over the tiny tokenizer plus one extra added token, <|dlm_pad|> (id 0). */
function sources(config: Record<string, unknown>, more: Partial<TokenSources> = {}, tokenizer = tokenizerJson(DREAM_SPEC)): TokenSources {
  const tokenizerPath = path.join(tmp, 'tokenizer.json');
  (tokenizer.added_tokens as unknown[]).push({ id: 0, content: '<|dlm_pad|>', special: true });
  fs.writeFileSync(tokenizerPath, JSON.stringify(tokenizer));
  return { config, generationConfig: undefined, tokenizerConfig: undefined, tokenizerPath, ...more };
}

describe('convert/tokens: special tokens from the checkpoint files', () => {
  it("reads Dream's ids from config.json, with no bos first", () => {
    const facts = readTokenFacts(sources(configFor(DREAM_SPEC)), dream, 50);
    assert.deepEqual(facts, { specialTokens: { mask: 48, pad: 47, bos: 47, eos: 47 }, bosFirst: false, eosLast: false });
  });

  it("pads with the tokenizer's pad token over config.json's (DiffuCoder's <|dlm_pad|>)", () => {
    const facts = readTokenFacts(sources(configFor(DREAM_SPEC), { tokenizerConfig: { pad_token: { content: '<|dlm_pad|>', __type: 'AddedToken' } } }), dream, 50);
    assert.equal(facts.specialTokens.pad, 0);
  });

  it('resolves token strings, takes the first of a list of eos ids, and pads with eos when nothing else says', () => {
    const config = { model_type: 'llada' };
    const facts = readTokenFacts(
      sources(config, { generationConfig: { eos_token_id: [47, 49] }, tokenizerConfig: { mask_token: '<|mask|>', bos_token: '<|startoftext|>' } }, tokenizerJson(LLADA_SPEC)),
      llada,
      64,
    );
    assert.deepEqual(facts.specialTokens, { mask: 62, pad: 47, bos: 63, eos: 47 });
  });

  it("puts bos first as tokenizer_config.json says, else as tokenizer.json's template, else the family's default", () => {
    const config = configFor(LLADA_SPEC);
    const withBos = { tokenizerConfig: { bos_token: '<|startoftext|>' } };
    assert.equal(readTokenFacts(sources(config, withBos, tokenizerJson(LLADA_SPEC)), llada, 64).bosFirst, true);
    const off = { tokenizerConfig: { bos_token: '<|startoftext|>', add_bos_token: false } };
    assert.equal(readTokenFacts(sources(config, off, tokenizerJson(LLADA_SPEC)), llada, 64).bosFirst, false);
    const template = { ...tokenizerJson(LLADA_SPEC), post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<|startoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }] } };
    assert.equal(readTokenFacts(sources({ ...config, bos_token_id: 63 }, {}, template), dream, 64).bosFirst, true);
    assert.equal(readTokenFacts(sources(config, {}, tokenizerJson(LLADA_SPEC)), llada, 64).bosFirst, false, 'no bos at all');
  });

  it('refuses a checkpoint without a mask token, and a mask that is the pad', () => {
    const noMask = { ...configFor(DREAM_SPEC), mask_token_id: undefined };
    assert.throws(() => readTokenFacts(sources(noMask), dream, 50), (e: unknown) => e instanceof ConvertError && /no mask token/.test(e.message));
    const same = { ...configFor(DREAM_SPEC), pad_token_id: 48 };
    assert.throws(() => readTokenFacts(sources(same), dream, 50), /same id \(48\)/);
    assert.throws(() => readTokenFacts(sources({ ...configFor(DREAM_SPEC), mask_token_id: 50 }), dream, 50), /mask token id 50 is outside the model's 50 logits/);
  });
});
