/**
 * The decoder's contract (decoding.json), typed: sampler kinds and their option defaults, the
 * window's split and chunking, the canvas switches, language fallbacks and context orders. The
 * Python port that evaluates checkpoints (models/train/dllm_train/evaluation/decode_contract.py) reads the same file, so
 * every TypeScript module takes these values from here and never restates them. No imports but the
 * JSON: the protocol, the extension and the engine all may use it.
 */
import contract from './decoding.json';

/** A section's own keys: its `$…` keys are comments. */
type Named<T> = Exclude<keyof T, `$${string}`>;

function names<T extends object>(section: T): Named<T>[] {
  return Object.keys(section).filter((k) => !k.startsWith('$')) as Named<T>[];
}

/** `value` as one of `allowed`; a contract naming anything else is refused when it is read. */
function member<T extends string>(allowed: readonly T[], value: string, key: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`decoding.json: ${key} "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

/** The sampler kinds a request may name; the first is the default where a caller names none. */
export type SamplerKind = Named<typeof contract.samplers>;
export const SAMPLER_KINDS: readonly SamplerKind[] = names(contract.samplers);

/** saber: when backtracking re-masks. */
export type RemaskMode = Named<typeof contract.remaskModes>;
export const REMASK_MODES: readonly RemaskMode[] = names(contract.remaskModes);

/** The split contract's context orders; the first where a manifest names none. */
export type ContextAttention = Named<typeof contract.contextAttentions>;
export const CONTEXT_ATTENTIONS: readonly ContextAttention[] = names(contract.contextAttentions);

/** Every sampler option but the kind, as the engine resolves it. */
export interface SamplerDefaults {
  minPerStep: number;
  remaskDivisor: number;
  remask: RemaskMode;
  threshold: number;
  temperature: number;
  seed: number;
}

const d = contract.samplerDefaults;
/** The value of each sampler option a request leaves out. */
export const SAMPLER_DEFAULTS: Readonly<SamplerDefaults> = Object.freeze({
  minPerStep: d.minPerStep,
  remaskDivisor: d.remaskDivisor,
  remask: member(REMASK_MODES, d.remask, 'samplerDefaults.remask'),
  threshold: d.threshold,
  temperature: d.temperature,
  seed: d.seed,
});

/** The prefix's share of a window too small for both sides (characters on the client, tokens in the engine). */
export const PREFIX_SHARE: number = contract.window.prefixShare;
/** Characters encoded per missing token when the window grows a side: a little over code's ~3. */
export const CHUNK_CHARS_PER_TOKEN: number = contract.window.chunkCharsPerToken;
/** The fewest characters one growth of a side encodes. */
export const MIN_CHUNK_CHARS: number = contract.window.minChunkChars;

/** Show the model `<pad>` after the first committed end token (see DenoiseSetup.tailFill). */
export const FILL_TAIL_WITH_PAD: boolean = contract.canvas.fillTailWithPad;
/** Commit end tokens only at the leftmost masked position (see DenoiseSetup.endAtFrontier). */
export const END_AT_FRONTIER: boolean = contract.canvas.endAtFrontier;

/** VS Code language ids that are dialects of a more common one, tried when a manifest lacks them. */
export const LANGUAGE_DIALECTS: Readonly<Record<string, string>> = contract.language.dialects;
/** The languageTokens entry for a language the manifest has no token for. */
export const LANGUAGE_FALLBACK: string = contract.language.fallback;
