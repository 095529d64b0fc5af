import { parseRetryAfter } from './backoff.js';
import { redactTokens, withoutUnfinishedToken } from './redact-tokens.js';
import type { FetchLike, FetchResponse } from './runtime-options.js';

/** The outcome of one POST. No exception escapes the transport. */
export interface HttpOutcome {
  /** HTTP status; `undefined` for a network error or a timeout. */
  status: number | undefined;
  /**
   * What the answer said, or the error's message, for an error message to quote: at most
   * 500 characters of the answer's first 64 KiB, tokens masked, control characters escaped.
   * Empty for a 2xx, whose answer is read only to free the connection.
   */
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
// The most of an answer that is read. Only its first MAX_BODY_CHARS characters are quoted (once
// tokens are masked), and a huge or endless answer, read whole, would take memory several times
// its size and hold the event loop for seconds. Well above the quoted part, so that masking a
// token long enough to shrink the text still leaves 500 characters to quote.
const MAX_ANSWER_BYTES = 64 * 1024;

/** Options of {@link postJson}. */
export interface PostOptions {
  fetch: FetchLike;
  timeoutMs: number;
  /** Aborts the request early (used by `close()` at its deadline). */
  signal?: AbortSignal;
}

/**
 * POSTs a JSON body and reads the answer (at most {@link MAX_ANSWER_BYTES} of it), bounded by
 * `timeoutMs`. Every path settles: the timeout aborts both the request and the reading of its
 * body.
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
  const answer: AnswerReading = { reader: undefined, cut: false };
  try {
    return await Promise.race([
      request(url, body, options.fetch, controller.signal, answer),
      aborted,
    ]);
  } catch (error) {
    // A fetch that ignores the signal may still be streaming the answer: stop reading it.
    answer.reader?.cancel().catch(() => undefined);
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
    // The rest of an answer cut at the cap is not wanted: stop the request, whatever the fetch
    // (the race has settled, so this abort changes no outcome).
    if (answer.cut) controller.abort(new Error('answer longer than Cohorly reads'));
  }
}

/** The reading of one answer's body, shared with {@link postJson} so that it can stop it. */
interface AnswerReading {
  /** The body's reader while it is being read. */
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** True when the answer was longer than {@link MAX_ANSWER_BYTES}: the rest was not read. */
  cut: boolean;
}

async function request(
  url: string,
  body: string,
  fetchFn: FetchLike,
  signal: AbortSignal,
  answer: AnswerReading,
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
  const ok = response.status >= 200 && response.status < 300;
  // Reading the body frees the connection for reuse, and its text explains a rejection.
  const text = await readAnswer(response, !ok, signal, answer);
  const outcome: HttpOutcome = {
    status: response.status,
    body: text === '' ? '' : quotable(text, body, answer.cut),
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    timedOut: false,
  };
  if (response.status >= 300 && response.status < 400) {
    const location = redirectTarget(url, response.headers.get('location'));
    if (location !== undefined) outcome.location = quotable(location, body, false);
  }
  return outcome;
}

/**
 * An answer's text, or where a redirect points, as an error message may quote it: tokens
 * masked, cut to {@link MAX_BODY_CHARS}, then control characters escaped (after the cut, so
 * that it cannot split an escape).
 */
function quotable(text: string, payload: string, cut: boolean): string {
  // Masked before it is cut, so no cut can leave part of a token unmasked.
  let safe = redactTokens(text, payload);
  // But the cap may have cut a token in two at the end, and masking only knows whole ones.
  if (cut) safe = withoutUnfinishedToken(safe, payload);
  // `...`: there was more, cut here or at the cap.
  return printable(
    safe.length > MAX_BODY_CHARS || cut ? `${safe.slice(0, MAX_BODY_CHARS)}...` : safe,
  );
}

/** A web `Response`'s body, which a custom fetch's answer may not have. */
interface WebBody {
  getReader(): ReadableStreamDefaultReader<Uint8Array>;
}

function hasWebBody(response: FetchResponse): response is FetchResponse & { body: WebBody } {
  const body = (response as { body?: { getReader?: unknown } | null }).body;
  return typeof body?.getReader === 'function';
}

/**
 * The answer's text when it is `wanted` (else ''), from at most its first
 * {@link MAX_ANSWER_BYTES} bytes: a longer answer is cancelled there (`answer.cut`). An answer
 * with no web body (a custom fetch's) can only be read whole by its `text()`; as many
 * characters are kept.
 */
async function readAnswer(
  response: FetchResponse,
  wanted: boolean,
  signal: AbortSignal,
  answer: AnswerReading,
): Promise<string> {
  if (!hasWebBody(response)) {
    const text = await response.text();
    if (!wanted) return '';
    answer.cut = text.length > MAX_ANSWER_BYTES;
    return answer.cut ? text.slice(0, MAX_ANSWER_BYTES) : text;
  }
  const reader = response.body.getReader();
  answer.reader = reader;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (wanted) chunks.push(value);
    size += value.byteLength;
    // A fetch that ignores the signal may keep answering after a timeout: stop there too.
    if (size > MAX_ANSWER_BYTES || signal.aborted) {
      answer.cut = true;
      reader.cancel().catch(() => undefined);
      break;
    }
  }
  answer.reader = undefined;
  if (!wanted || size === 0) return '';
  const bytes = chunks.length === 1 ? chunks[0]! : concat(chunks, size);
  // Made here, on the failure path only: nothing at module scope (edge runtimes, tree-shaking).
  return new TextDecoder().decode(
    size > MAX_ANSWER_BYTES ? bytes.subarray(0, MAX_ANSWER_BYTES) : bytes,
  );
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

// C0 and C1 control characters, DEL, and the line and paragraph separators: written to a log,
// they would start a forged line, or be run by a terminal as commands (ANSI escapes).
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters it escapes.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function escapeUnprintable(char: string): string {
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with its control characters escaped (`\n`, `\x1b`, `\u2028`), so that a server's
 * answer quoted in an error message stays on one log line and cannot drive a terminal.
 * Other characters, non-ASCII letters included, are kept as they are.
 */
function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeUnprintable);
}

/** A `Location` header as an absolute URL (quoted as sent when it is none). */
function redirectTarget(url: string, location: string | null): string | undefined {
  if (!location) return undefined;
  try {
    return new URL(location, url).href;
  } catch {
    return location;
  }
}

function describeNetworkError(error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no answer within ${timeoutMs} ms (aborted)`;
  // A custom fetch may reject with anything, even a value String() throws on (an object with
  // no prototype): no exception may escape the transport.
  try {
    // A custom fetch's message may quote what a server sent: keep it on one line too.
    if (error instanceof Error) {
      // undici hides the useful part ("ECONNREFUSED") in `cause`.
      const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
      return printable(`${error.message}${cause}`);
    }
    return printable(String(error));
  } catch {
    return 'fetch failed with a value that cannot be shown as text';
  }
}
