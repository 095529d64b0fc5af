import { isTimerMs, MAX_TIMER_MS } from './timer-ms.js';

/**
 * What Cohorly reads of an HTTP answer: its status, its `Retry-After` (and, for a redirect,
 * `Location`) header and at most 64 KiB of its body, through `body` when there is one, else
 * `text()`. A web `Response` has all of it; a transport of your own may resolve with less than
 * a `Response` (`createNodeFetch()` does, so that it never loads undici).
 */
export interface FetchResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The answer's headers, by case-insensitive name; `null` when absent. */
  readonly headers: { get(name: string): string | null };
  /**
   * The whole body as text. A web `Response`'s `body` stream is read instead when there is
   * one: up to 64 KiB, then cancelled, so that a huge or endless answer costs no more.
   */
  text(): Promise<string>;
}

/**
 * A `fetch` compatible with the web standard one (undici's, a proxy agent's, a test double);
 * it may resolve with a {@link FetchResponse} rather than a whole `Response`.
 */
export type FetchLike = (input: string, init: RequestInit) => Promise<FetchResponse>;

/** Options shared by both consumers: where to send, and how long to wait. */
export interface TransportOptions {
  /**
   * Base URL of the Cohorly server; a trailing slash is ignored.
   * @default "http://localhost:4000"
   */
  apiHost?: string;
  /**
   * How long one request may take, answer body included, before it is aborted and counted
   * as a network failure, in milliseconds: from 1 to 2147483647 ({@link MAX_TIMER_MS}).
   * @default 10000
   */
  requestTimeoutMs?: number;
  /**
   * The `fetch` to send with: pass one to go through a proxy or a custom agent.
   * @default globalThis.fetch
   */
  fetch?: FetchLike;
  /**
   * Advanced, for tests: the current time in epoch milliseconds.
   * @default Date.now
   */
  clock?: () => number;
  /**
   * Advanced, for tests: waits `ms` milliseconds (between retries, until a backoff ends).
   * @default a `setTimeout` promise
   */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Advanced, for tests: a number in [-0.2, 0.2] that spreads each backoff delay.
   * @default uniform random in [-0.2, 0.2]
   */
  jitter?: () => number;
}

/** Every option of {@link TransportOptions}: a key added there must be added here. */
export const TRANSPORT_OPTIONS: Record<keyof TransportOptions, true> = {
  apiHost: true,
  requestTimeoutMs: true,
  fetch: true,
  clock: true,
  sleep: true,
  jitter: true,
};

/** The default API host, as in the Python SDK. */
export const DEFAULT_API_HOST = 'http://localhost:4000';

/** The default request timeout, in milliseconds. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** `setTimeout` as a promise. Keeps the process alive: someone awaits it. */
export function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Normalises `apiHost` (surrounding white space and trailing slashes dropped) and fails at
 * construction, not at the first send, when the endpoints cannot be appended to it: each
 * of these would fail every send, as a network error retried for ever or a 404/405 that
 * drops every batch.
 * - `localhost:4000` parses as a URL of scheme `localhost:`;
 * - a query or fragment (`?region=eu`) would end up before `/track`;
 * - `fetch` refuses a URL with credentials (and they would be in every error message).
 */
export function normalizeApiHost(apiHost: string | undefined, caller: string): string {
  const given = apiHost ?? DEFAULT_API_HOST;
  const host = typeof given === 'string' ? given.trim() : given;
  const url = typeof host === 'string' && URL.canParse(host) ? new URL(host) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new TypeError(
      `${caller}: apiHost must be an absolute http:// or https:// URL, got ${JSON.stringify(given)}`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    // Not shown: the password is a secret.
    throw new TypeError(
      `${caller}: apiHost must not contain a user name or password (fetch refuses such URLs); got one for ${url.host}`,
    );
  }
  if (/[?#]/.test(host as string)) {
    throw new TypeError(
      `${caller}: apiHost must be a base URL without a query or fragment (Cohorly appends /track to it), got ${JSON.stringify(given)}`,
    );
  }
  return (host as string).replace(/\/+$/, '');
}

/**
 * Validates a timeout option: a number of milliseconds from `min` (default 0) to
 * {@link MAX_TIMER_MS}. Past that, a timer fires after 1 ms: a request timeout would abort
 * every request, a close deadline would give up at once.
 */
export function checkMs(
  value: number | undefined,
  fallback: number,
  name: string,
  min = 0,
): number {
  if (value === undefined) return fallback;
  if (!isTimerMs(value, min)) {
    throw new TypeError(
      `${name} must be a number of milliseconds from ${min} to ${MAX_TIMER_MS}, got ${describeOption(value)}`,
    );
  }
  return value;
}

/** An option's value as an error shows it: a string quoted, so `"50"` is not read as 50. */
export function describeOption(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
