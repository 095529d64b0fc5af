import { cookies, headers } from 'next/headers.js';
import { isNextControlFlowError } from './next-control-flow.js';
import type { NextRequestSnapshot } from './next-request.js';

/** The request Next.js is handling, seen from a `trackServer()` call. */
export interface RequestScope {
  /** Identifies the request (the memoized `headers()` promise): one flush per request. */
  key: object;
  /**
   * The request's headers and cookies; `undefined` when Next.js abandoned the render
   * (an interrupted prerender), where there is no visitor and nothing must be tracked.
   */
  snapshot: Promise<NextRequestSnapshot | undefined>;
}

/**
 * Captures the current request from `next/headers`, synchronously, so that Next.js sees the
 * dynamic API use where it happened. Returns `undefined` outside a request scope (scripts,
 * `instrumentation.ts`, `"use cache"`, build-time generators). Throws only Next.js's own
 * control-flow errors (a static prerender that must become dynamic, `dynamic = "error"`).
 */
export function captureRequestScope(): RequestScope | undefined {
  let headerList: Promise<NextRequestSnapshot['headers']>;
  let cookieStore: Promise<NextRequestSnapshot['cookies']>;
  try {
    headerList = headers();
    cookieStore = cookies();
  } catch (error) {
    if (isNextControlFlowError(error)) throw error;
    return undefined;
  }
  const snapshot = Promise.all([headerList, cookieStore]).then(
    ([headerValues, cookieValues]): NextRequestSnapshot => ({
      headers: headerValues,
      cookies: cookieValues,
    }),
    (error: unknown): NextRequestSnapshot | undefined =>
      isNextControlFlowError(error) ? undefined : {},
  );
  return { key: headerList, snapshot };
}
