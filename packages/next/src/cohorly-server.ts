import type {
  AnyEvents,
  CloseOptions,
  CloseReport,
  CohorlyClient,
  EventCatalog,
  Properties,
} from '@cohorly/core';
import type { TrackOptions, TrackerArgs } from '@cohorly/server-kit';

/**
 * Server-side tracking for Next.js. Every method is safe to call anywhere on the server (route
 * handlers, server actions, server components, middleware, edge routes, scripts): it never
 * throws into your code and its promise never rejects, except with a Next.js control-flow
 * error (`redirect()`, `notFound()`, a dynamic API during static generation), which passes
 * through untouched. Inside a request, messages are delivered after the response is sent
 * (one flush per request); outside one, the promise resolves once they are delivered or
 * `flushTimeoutMs` has passed.
 */
export interface CohorlyServer<Events extends EventCatalog<Events> = AnyEvents> {
  /**
   * Tracks an event for the request's user: `options.distinctId`, else `getDistinctId()`,
   * else the anonymous id. Resolves once the event is queued (inside a request) or delivered
   * (outside one).
   */
  trackServer<E extends keyof Events & string>(
    event: E,
    ...args: TrackerArgs<Events, E>
  ): Promise<void>;
  /** Links `aliasId` to `original`, by default the request's distinct id (after a sign-up). */
  alias(aliasId: string, original?: string): Promise<void>;
  /** Sets profile properties of the request's user. */
  peopleSet(properties: Properties, options?: TrackOptions): Promise<void>;
  /** Sets profile properties of the request's user where they are not set yet. */
  peopleSetOnce(properties: Properties, options?: TrackOptions): Promise<void>;
  /** Adds to numeric profile properties of the request's user. */
  peopleIncrement(properties: Record<string, number>, options?: TrackOptions): Promise<void>;
  /** Removes profile properties of the request's user. */
  peopleUnset(propertyNames: string[], options?: TrackOptions): Promise<void>;
  /** Deletes the request user's profile. */
  peopleDelete(options?: TrackOptions): Promise<void>;
  /**
   * Delivers everything queued now, within `flushTimeoutMs`; never rejects. Rarely needed:
   * every request already flushes once its response is sent.
   */
  flush(): Promise<void>;
  /**
   * Delivers what is queued within `timeoutMs` (default 10000) and stops the client, for a
   * custom shutdown. `next start` needs none: on SIGTERM it waits for pending deliveries,
   * each for up to `flushTimeoutMs`.
   */
  close(options?: CloseOptions): Promise<CloseReport>;
  /**
   * The `@cohorly/core` client, for what the helpers do not cover (`importData`). Throws when
   * no project token is configured.
   */
  readonly client: CohorlyClient<Events>;
}

/** What `close()` reports when no client was ever created. */
export const EMPTY_REPORT: CloseReport = {
  drained: true,
  sent: 0,
  undelivered: 0,
  queued: { events: 0, people: 0, alias: 0 },
  dropped: { overflow: 0, rejected: 0, oversized: 0 },
};
