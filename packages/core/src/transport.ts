import { parseRetryAfter } from './backoff.js';
import { redactTokens } from './redact-tokens.js';
import type { FetchLike } from './runtime-options.js';

/** The outcome of one POST. No exception escapes the transport. */
export interface HttpOutcome {
  /** HTTP status; `undefined` for a network error or a timeout. */
  status: number | undefined;
  /** The answer body (at most a few hundred characters are kept), or the error's message. */
  body: string;
  /** `Retry-After` in milliseconds, when the server sent a valid one. */
  retryAfterMs: number | undefined;
  /** True when the request was aborted by its timeout or by `close()`. */
  timedOut: boolean;
  /** The network error, when there was one. */
  error?: unknown;
  /** Where a 3xx answer points (its `Location`, resolved against the request's URL). */
  location?: string;
}

/** 2xx. */
export function isOk(outcome: HttpOutcome): boolean {
  return outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300;
}

/** 429, any 5xx, or no answer at all: the same payload may succeed later. */
export function isRetryable(outcome: HttpOutcome): boolean {
  return outcome.status === undefined || outcome.status === 429 || outcome.status >= 500;
}

// An error body is only ever quoted in an error message; keep messages short.
const MAX_BODY_CHARS = 500;

/** Options of {@link postJson}. */
export interface PostOptions {
  fetch: FetchLike;
  timeoutMs: number;
  /** Aborts the request early (used by `close()` at its deadline). */
  signal?: AbortSignal;
}

/**
 * POSTs a JSON body and reads the whole answer, bounded by `timeoutMs`. Every path settles:
 * the timeout aborts both the request and the reading of its body.
 */
export async function postJson(
  url: string,
  body: string,
  options: PostOptions,
): Promise<HttpOutcome> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new Error('request timeout')), options.timeoutMs);
  // The request itself keeps the process alive while it runs; the timer must not.
  (timer as { unref?: () => void }).unref?.();
  // A custom fetch may ignore the signal; racing it guarantees that the promise settles.
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {
      once: true,
    });
  });
  aborted.catch(() => undefined);
  try {
    return await Promise.race([request(url, body, options.fetch, controller.signal), aborted]);
  } catch (error) {
    const timedOut = controller.signal.aborted;
    return {
      status: undefined,
      body: options.signal?.aborted
        ? 'aborted by close() at its deadline'
        : describeNetworkError(error, timedOut, options.timeoutMs),
      retryAfterMs: undefined,
      timedOut,
      error,
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function request(
  url: string,
  body: string,
  fetchFn: FetchLike,
  signal: AbortSignal,
): Promise<HttpOutcome> {
  const response = await fetchFn(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
    signal,
    // A redirect is answered, never followed, whatever the fetch: the global fetch follows
    // 307/308 with the body but turns a 301/302 into a GET without it, while Node transports
    // (and the Python SDK) follow none. So every transport gets the same outcome, and the
    // error can say where apiHost should point.
    redirect: 'manual',
  });
  // Reading the body frees the connection for reuse, and its text explains a rejection.
  const text = await response.text();
  const ok = response.status >= 200 && response.status < 300;
  // Masked before it is cut, so no cut can leave part of a token unmasked.
  const safe = ok || text === '' ? text : redactTokens(text, body);
  const outcome: HttpOutcome = {
    status: response.status,
    body: safe.length > MAX_BODY_CHARS ? `${safe.slice(0, MAX_BODY_CHARS)}...` : safe,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    timedOut: false,
  };
  if (response.status >= 300 && response.status < 400) {
    const location = redirectTarget(url, response.headers.get('location'));
    if (location !== undefined) outcome.location = redactTokens(location, body);
  }
  return outcome;
}

/** A `Location` header as an absolute URL, cut to a readable length. */
function redirectTarget(url: string, location: string | null): string | undefined {
  if (!location) return undefined;
  let target = location;
  try {
    target = new URL(location, url).href;
  } catch {
    // Quoted as the server sent it.
  }
  return target.length > MAX_BODY_CHARS ? `${target.slice(0, MAX_BODY_CHARS)}...` : target;
}

function describeNetworkError(error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no answer within ${timeoutMs} ms (aborted)`;
  // A custom fetch may reject with anything, even a value String() throws on (an object with
  // no prototype): no exception may escape the transport.
  try {
    if (error instanceof Error) {
      // undici hides the useful part ("ECONNREFUSED") in `cause`.
      const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
      return `${error.message}${cause}`;
    }
    return String(error);
  } catch {
    return 'fetch failed with a value that cannot be shown as text';
  }
}
