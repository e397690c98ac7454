/**
 * Cache keys for inline completions: a hash of everything that decides the model's answer, so
 * two requests with the same context and settings reuse one result.
 */
import { createHash } from 'node:crypto';

export interface CacheKeyParts {
  prefix: string;
  suffix: string;
  language: string;
  /** Every setting that changes the answer (budget, sampler, length), serialised stably. */
  settings: unknown;
}

export function cacheKey(parts: CacheKeyParts): string {
  const hash = createHash('sha256');
  // Lengths first, so that moving text between prefix and suffix changes the key.
  hash.update(`${parts.prefix.length}:${parts.suffix.length}:${parts.language}\0`);
  hash.update(parts.prefix);
  hash.update('\0');
  hash.update(parts.suffix);
  hash.update('\0');
  hash.update(stableStringify(parts.settings));
  return hash.digest('base64url');
}

/** JSON with object keys sorted, so equal settings give equal strings. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}
