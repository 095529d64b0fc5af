/** First retry delay of the Cohorly retry contract, in milliseconds. */
export const BASE_RETRY_DELAY_MS = 2_000;
/** Longest delay between two attempts, in milliseconds; also the delay after a 401. */
export const MAX_RETRY_DELAY_MS = 600_000;
/** Each delay is spread by a factor in [1 - RETRY_JITTER, 1 + RETRY_JITTER]. */
export const RETRY_JITTER = 0.2;

/** Uniform random jitter in [-0.2, 0.2]. */
export function randomJitter(): number {
  return (Math.random() * 2 - 1) * RETRY_JITTER;
}

/**
 * Parses a `Retry-After` header given in seconds, as the Python SDK does: a number >= 0
 * (negative values count as 0), or `undefined` when absent or not a number.
 * Returns milliseconds.
 */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isNaN(seconds)) return undefined;
  return Math.max(seconds, 0) * 1000;
}

/**
 * Delay before the next attempt after `failures` consecutive failures:
 * `min(2 s * 2^(failures-1), 600 s) * (1 + jitter)`, capped at 600 s. A `Retry-After`
 * (in ms), when given, replaces it, capped at 600 s.
 */
export function backoffDelay(
  failures: number,
  retryAfterMs: number | undefined,
  jitter: () => number,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, MAX_RETRY_DELAY_MS);
  const exponent = Math.max(failures - 1, 0);
  const delay = Math.min(BASE_RETRY_DELAY_MS * 2 ** exponent, MAX_RETRY_DELAY_MS);
  const spread = Math.min(Math.max(jitter(), -RETRY_JITTER), RETRY_JITTER);
  return Math.min(delay * (1 + spread), MAX_RETRY_DELAY_MS);
}
