/**
 * Upper bounds on the sizes a manifest states. The engine allocates from them (an array per
 * vocabulary entry, cache tensors per context token) before any graph could contradict them, so a
 * manifest above a bound is refused when it is read, naming the field, its value and the bound,
 * instead of exhausting the process's memory at load (a vocabSize of 2e9 aborted it).
 */
import { type Fail, asObject, int } from './json';
import type { KvCacheShape } from './manifest';

export const MANIFEST_FILE = 'dllm.json';

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

/** `value` of field `key`, refused above `limit`. */
export function atMost(value: number, key: string, limit: number, fail: Fail): number {
  if (value > limit) fail(`"${key}" is ${value}, above the limit of ${limit}: lower it in ${MANIFEST_FILE}`);
  return value;
}

/** `kvCache` (the split contract's and the cached mode's cache shape), each dimension and the bytes per token bounded. */
export function readKvCache(root: Record<string, unknown>, requiredBy: string, fail: Fail): KvCacheShape {
  const kv = asObject(root.kvCache, `"kvCache" (required by ${requiredBy})`, fail);
  const dim = (key: keyof KvCacheShape): number => atMost(int(kv, key, fail, 1, 'kvCache.'), `kvCache.${key}`, KV_CACHE_LIMITS[key], fail);
  const kvCache: KvCacheShape = { layers: dim('layers'), heads: dim('heads'), headDim: dim('headDim') };
  const perToken = kvBytesPerToken(kvCache);
  if (perToken > MAX_KV_BYTES_PER_TOKEN) {
    fail(
      `"kvCache" holds ${perToken} bytes of keys and values per context token (2 × layers × heads × headDim × 4), ` +
        `above the limit of ${MAX_KV_BYTES_PER_TOKEN}: lower it in ${MANIFEST_FILE}`,
    );
  }
  return kvCache;
}
