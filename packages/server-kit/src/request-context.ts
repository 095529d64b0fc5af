import { AsyncLocalStorage } from 'node:async_hooks';
import type { AnyEvents, EventCatalog } from '@cohorly/core';
import type { RequestTracker } from './request-tracker.js';

// One store per process, even when two copies of this package are installed, so that
// `getRequestCohorly()` of any integration sees the tracker any other one set.
const key = Symbol.for('cohorly.requestContext');
const holder = globalThis as { [key]?: AsyncLocalStorage<RequestTracker> };
holder[key] ??= new AsyncLocalStorage();
const storage: AsyncLocalStorage<RequestTracker> = holder[key];

/**
 * Runs `fn` with `tracker` as the current request's tracker, for every async call chain
 * that starts inside it. Uses `run()`, never `enterWith()`, so nothing leaks into other
 * requests.
 */
export function runWithTracker<T, Events extends EventCatalog<Events> = AnyEvents>(
  tracker: RequestTracker<Events>,
  fn: () => T,
): T {
  return storage.run(tracker as unknown as RequestTracker, fn);
}

/** The current request's tracker, or `undefined` outside a request. */
export function currentTracker<Events extends EventCatalog<Events> = AnyEvents>():
  | RequestTracker<Events>
  | undefined {
  return storage.getStore() as RequestTracker<Events> | undefined;
}

/**
 * Runs `fn` outside any request: timers and other async work it starts belong to no request,
 * so `currentTracker()` is `undefined` in them and they keep no request alive. For the
 * integration's own background work (its flush timers), which a request only triggers.
 */
export function outsideRequest<T>(fn: () => T): T {
  return storage.exit(fn);
}
