/**
 * The cached mode's graph contract (models/README.md, "Cached mode"): the names the converter
 * writes (src/convert/cachedGraphs.ts) and the engine runs (src/engine/runners/cached.ts). No imports, so the
 * converter takes it without onnxruntime.
 */
export const CACHED_IO = {
  inputs: ['input_ids', 'position_ids', 'past_keys', 'past_values', 'logit_rows'],
  outputs: ['logits', 'keys', 'values'],
} as const;
