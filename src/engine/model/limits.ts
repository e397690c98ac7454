/**
 * Upper bounds on the sizes a manifest states. The engine allocates from them (an array per
 * vocabulary entry, cache tensors per context token) before any graph could contradict them, so a
 * manifest above a bound is refused when it is read, naming the field, its value and the bound,
 * instead of exhausting the process's memory at load (a vocabSize of 2e9 aborted it).
 */

/**
 * Every forward pass attends over the whole context, so a larger window must still keep one pass
 * well under a second or two on a laptop CPU (a manifest claiming 100 000 context tokens made one
 * pass take 18 s).
 */
export const MAX_CONTEXT_TOKENS_LIMIT = 8192;
/** The largest canvas the extension's settings can ask for (`dllm.*.maxTokens` maximum). */
export const MAX_CANVAS_TOKENS_LIMIT = 512;
/** Positions left unused between canvas and suffix: a gap longer than a window is never meaningful. */
export const MAX_SUFFIX_GAP_LIMIT = MAX_CONTEXT_TOKENS_LIMIT;
/** 2^20: four times the largest vocabulary of a published model (Gemma 3, 262 208; Qwen2.5 and Dream, 152 064). */
export const MAX_VOCAB_SIZE_LIMIT = 1_048_576;
/** Each dimension of the split contract's cache shape; published models stay below 128 layers, 128 heads and heads of 256. */
export const KV_CACHE_LIMITS = { layers: 512, heads: 512, headDim: 1024 } as const;
/**
 * Keys and values of one context token, float32 (2 × layers × heads × headDim × 4 bytes): 16 MiB,
 * sixteen times LLaDA-8B's 1 MiB. The dimensions alone would allow 2 GiB per token.
 */
export const MAX_KV_BYTES_PER_TOKEN = 16 * 2 ** 20;
/** dllm.json itself: the bundled one is 1 KB; a file this large is not a manifest, and is not read. */
export const MAX_MANIFEST_BYTES = 2 ** 20;

/** Bytes of keys and values one context token takes in the cache (float32). */
export function kvBytesPerToken(kv: { layers: number; heads: number; headDim: number }): number {
  return 2 * kv.layers * kv.heads * kv.headDim * 4;
}
