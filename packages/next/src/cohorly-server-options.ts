import { isTimerMs, MAX_TIMER_MS } from '@cohorly/core';
import {
  CLIENT_OPTION_NAMES,
  type ClientOptions,
  checkCapture,
  describeValue,
  type ErrorHandler,
  isHeaderName,
  NAME_CHARACTERS,
} from '@cohorly/server-kit';
import type { WaitUntil } from './platform-wait-until.js';

/** The signed-in user's distinct id, or nothing for an anonymous visitor. */
export type DistinctIdResult = string | number | null | undefined;

/** Options of {@link createCohorlyServer}. */
export interface CohorlyServerOptions extends ClientOptions {
  /**
   * Returns the signed-in user's distinct id (from your auth library), or nothing for an
   * anonymous visitor. Called for each message that has no explicit `distinctId`, inside the
   * request, so it may use `cookies()`, `headers()` or `auth()`. When it throws, the message
   * falls back to the anonymous id and `onError` is told; a Next.js `redirect()` or
   * `notFound()` it throws is passed on untouched, through the promise `trackServer` returns
   * (so it takes effect only where that promise is awaited), and `onError` is told that the
   * message was not sent.
   * @default none
   */
  getDistinctId?: () => DistinctIdResult | Promise<DistinctIdResult>;
  /**
   * The cookie holding an anonymous visitor's id, used when there is neither an explicit
   * `distinctId` nor a signed-in user; `false` to never read it.
   * @default "cohorly_anonymous_id"
   */
  anonymousIdCookie?: string | false;
  /**
   * The request header holding an anonymous visitor's id (for route handlers your front end
   * calls with `fetch`), read before the cookie; `false` to never read it.
   * @default "x-cohorly-anonymous-id"
   */
  anonymousIdHeader?: string | false;
  /**
   * What to send from the request with each event: the client IP as `ip` (the first
   * `X-Forwarded-For` entry) and the `User-Agent` as `$user_agent`. Nothing by default. That
   * header is only trustworthy where the platform in front of Next.js sets it (Vercel): with
   * `next start` exposed directly, or behind a proxy that appends to it, a client names its IP.
   * @default { ip: false, userAgent: false }
   */
  capture?: { ip?: boolean; userAgent?: boolean };
  /**
   * Keeps the function alive while events are delivered when Next.js's `after()` cannot be
   * used (outside an App Router request: Pages Router API routes, other handlers). On Vercel
   * it is found without this option.
   * @default the platform's (Vercel's request context), else none
   */
  waitUntil?: WaitUntil;
  /**
   * The longest a delivery may take, in milliseconds, retries included: the work kept alive
   * after a response, and the flush `trackServer` awaits outside a request. Messages not
   * delivered by then stay queued for the next flush, and `onError` is told. At shutdown
   * there is no next flush: what is still queued when the process exits is lost, and
   * `onError` is told how many (Node.js runtime). Raise it for `next start` behind a flaky
   * network: after a failure the first retry comes about 2 s later, the second about 4 s
   * after that (each ±20 %), so the default covers one retry, and 10000 two.
   * @default 5000
   */
  flushTimeoutMs?: number;
  /**
   * Receives every analytics failure: delivery errors, dropped messages, events without a
   * distinct id, a missing token. It never reaches your responses.
   * @default a one-line console.warn
   */
  onError?: ErrorHandler;
}

/** The options of createCohorlyServer() beyond the client's: a key added there must be added here. */
const SERVER_OPTIONS: Record<Exclude<keyof CohorlyServerOptions, keyof ClientOptions>, true> = {
  getDistinctId: true,
  anonymousIdCookie: true,
  anonymousIdHeader: true,
  capture: true,
  waitUntil: true,
  flushTimeoutMs: true,
  onError: true,
};
/** The names of every option of createCohorlyServer(), for reportUnknownOptions. */
export const SERVER_OPTION_NAMES: readonly string[] = [
  ...CLIENT_OPTION_NAMES,
  ...Object.keys(SERVER_OPTIONS),
];

/** The anonymous-id options, with the default each one stands for. */
const ANONYMOUS_ID_OPTIONS = {
  anonymousIdHeader: ['header', 'x-cohorly-anonymous-id'],
  anonymousIdCookie: ['cookie', 'cohorly_anonymous_id'],
} as const;

/** The flags of Next.js's `capture`: it has no `path` or `query` flag. */
const CAPTURE_KEYS: ReadonlyArray<keyof NonNullable<CohorlyServerOptions['capture']>> = [
  'ip',
  'userAgent',
];

/** Throws a TypeError naming the first option of the wrong type. */
export function checkOptions(options: CohorlyServerOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createCohorlyServer(): options must be an object');
  }
  const functions = ['getDistinctId', 'waitUntil', 'onError'] as const;
  for (const name of functions) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`createCohorlyServer(): ${name} must be a function`);
    }
  }
  // A name with spaces (or any character a request cannot carry) would never match.
  for (const [name, [kind, example]] of Object.entries(ANONYMOUS_ID_OPTIONS)) {
    const value: unknown = options[name as keyof typeof ANONYMOUS_ID_OPTIONS];
    if (value !== undefined && value !== false && !isHeaderName(value)) {
      throw new TypeError(
        `createCohorlyServer(): ${name} must be a ${kind} name such as "${example}" (${NAME_CHARACTERS}) or false, got ${describeValue(value)}`,
      );
    }
  }
  checkCapture(options.capture, 'createCohorlyServer()', CAPTURE_KEYS);
  const timeout = options.flushTimeoutMs;
  // A timer cannot wait longer than 2^31 - 1 ms: Node fires a longer one at once.
  if (timeout !== undefined && !isTimerMs(timeout)) {
    throw new TypeError(
      `createCohorlyServer(): flushTimeoutMs must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${String(timeout)}`,
    );
  }
}
