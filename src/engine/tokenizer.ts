/**
 * The model's tokenizer (`tokenizer.json`, Hugging Face format) behind a small interface.
 * Encoding never adds special tokens, and text that merely looks like a special token
 * (say `<pad>` in a source file) is encoded as plain text, never as the special id.
 */
import * as fs from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelLoadError } from '../modelFolder/errors';
import { firstLineOf } from '../base/errorText';
import { jsonSyntaxProblem } from '../modelFolder/json';
import { toWellFormed } from './text';

export interface TextTokenizer {
  /** Ids of `text`, no special tokens added. */
  encode(text: string): number[];
  /** Text of `ids`, special tokens included as their text, no clean-up of spaces. */
  decode(ids: readonly number[]): string;
  /** Highest id + 1 the tokenizer knows. */
  readonly size: number;
  /** Ids of the tokenizer's special (added) tokens. */
  readonly specialIds: ReadonlySet<number>;
  /** The token's text, or undefined for an id the tokenizer does not know. */
  idToToken(id: number): string | undefined;
}

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

/** Loads `tokenizer.json`; failures are ModelLoadErrors naming the file. */
export function loadTokenizer(file: string): TextTokenizer {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ModelLoadError(file, `unreadable tokenizer: ${firstLineOf(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // Never the parser's own message: it quotes the start of the file.
    throw new ModelLoadError(file, `the tokenizer file is ${jsonSyntaxProblem(e, text)}`);
  }
  let tokenizer: Tokenizer;
  try {
    // clean_up_tokenization_spaces would rewrite code (" ." → "."): off.
    tokenizer = new Tokenizer(json as object, { clean_up_tokenization_spaces: false });
  } catch (e) {
    throw new ModelLoadError(file, `not a Hugging Face tokenizer.json: ${firstLineOf(e)}`);
  }
  const added = ((json as { added_tokens?: AddedTokenJson[] }).added_tokens ?? []).filter((t) => t.special);
  return new HfTokenizer(tokenizer, added);
}

class HfTokenizer implements TextTokenizer {
  readonly size: number;
  readonly specialIds: ReadonlySet<number>;
  private readonly specialText = new Map<number, string>();

  constructor(
    private readonly tokenizer: Tokenizer,
    special: readonly AddedTokenJson[],
  ) {
    for (const t of special) this.specialText.set(t.id, t.content);
    this.specialIds = new Set(this.specialText.keys());
    let size = 0;
    for (const id of tokenizer.get_vocab(true).values()) size = Math.max(size, id + 1);
    this.size = size;
  }

  encode(text: string): number[] {
    if (text.length === 0) return [];
    const ids = this.tokenizer.encode(toWellFormed(text), { add_special_tokens: false }).ids;
    if (!ids.some((id) => this.specialIds.has(id))) return ids;
    // Source text containing a special token's spelling: encode that spelling in two pieces so
    // neither matches the special token.
    const out: number[] = [];
    for (const id of ids) {
      const content = this.specialText.get(id);
      if (content === undefined) out.push(id);
      else out.push(...this.encodePlain(content));
    }
    return out;
  }

  decode(ids: readonly number[]): string {
    if (ids.length === 0) return '';
    return this.tokenizer.decode(ids as number[], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  idToToken(id: number): string | undefined {
    return this.tokenizer.id_to_token(id);
  }

  private encodePlain(content: string): number[] {
    const cut = Math.max(1, Math.floor(content.length / 2));
    const pieces = [content.slice(0, cut), content.slice(cut)].filter((p) => p.length > 0);
    return pieces.flatMap((p) => this.tokenizer.encode(p, { add_special_tokens: false }).ids.filter((id) => !this.specialIds.has(id)));
  }
}
