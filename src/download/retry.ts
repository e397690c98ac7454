/**
 * When a failed request is tried again and after how long: a bounded exponential back-off. Pure,
 * so the schedule is tested without waiting.
 */
import { DownloadError } from './errors';

export interface RetryPolicy {
  /** Tries after the first one. */
  retries: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, baseMs: 1000, maxMs: 30_000 };

/** The wait before retry `attempt` (1-based): base, 2×base, 4×base … capped. */
export function backoffMs(attempt: number, policy: RetryPolicy = DEFAULT_RETRY): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
}

/** Codes of a connection that was there and broke: the next try resumes where the file stopped. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET', 'ENETUNREACH', 'EHOSTUNREACH']);

/**
 * Whether `error` may pass on a second try. Cancels, refusals, checksum failures and a full disk
 * never do; nor does a host that does not exist or refuses connections (no network: say so at once).
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof DownloadError) return error.retryable;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string') return TRANSIENT_CODES.has(code);
  return error instanceof TransientError;
}

/** A cut the client noticed itself (a body shorter than promised, a stalled connection). */
export class TransientError extends Error {}
