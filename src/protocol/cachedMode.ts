/**
 * The cached mode of a full-contract model that offers one (models/README.md, "Cached mode"):
 * how often the context's keys and values are refreshed, as the initialize request carries it
 * and the loaded model reports it. Part of the protocol; kept beside protocol.ts.
 */

/**
 * Passes between refreshes when the client does not say (0: exact mode, the full graph every
 * pass). Chosen from `npm run bench:cached` (bench/results/cached.md).
 */
export const cachedRefreshEveryDefault = 4;

/** The largest interval asked for: a canvas of 512 is done well within 64 passes. */
export const maxCachedRefreshEvery = 64;

/** InitializeRequest.Params' cached-mode field. */
export interface CachedModeParams {
  /**
   * For a model with a cached mode: refresh the context's keys and values every this many passes;
   * 0 runs the exact mode; absent: `cachedRefreshEveryDefault`. Models without one ignore it.
   */
  cachedRefreshEvery?: number;
}

/** ModelInfo's cached-mode field. */
export interface CachedModeInfo {
  /** Present when the model runs its cached mode: the passes between refreshes. */
  cachedRefreshEvery?: number;
}
