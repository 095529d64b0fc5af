import type { AnyEvents, EventCatalog, Properties } from '@cohorly/core';

/**
 * Per-call options of a request tracker. Any other key (`distinct_id`, `userId`), or options
 * that are not an object, are refused: the message is not sent and `onError` names the key,
 * rather than the message going to the request's user.
 */
export interface TrackOptions {
  /**
   * Track for this distinct id instead of the request's.
   * @default the request's distinct id
   */
  distinctId?: string;
}

/** The arguments after the event name: properties are required when the event's are. */
export type TrackerArgs<Events, E extends keyof Events> = {} extends Events[E]
  ? [properties?: Events[E], options?: TrackOptions]
  : [properties: Events[E], options?: TrackOptions];

/**
 * What a request's tracker offers: the public members of `RequestTracker`, as an interface.
 * Public types (`req.cohorly`, `getRequestCohorly()`) use it, not the class: a class with
 * private members is a different type in each copy of its declarations, so a program that
 * loads both the ESM and the CommonJS build of a package (an ESM app with one `.cts` file)
 * would see two `req.cohorly` types that do not match.
 *
 * Every call is bound to the request's user, found when the call is made (an explicit id,
 * `identify(req)`, then the anonymous id). None throws and no promise rejects: failures go
 * to `onError`. Each call resolves once its message is queued, never after a delivery.
 */
export interface RequestTrackerLike<Events extends EventCatalog<Events> = AnyEvents> {
  /**
   * The request's distinct id right now, or `undefined` when it has none. An `identify(req)`
   * that throws is reported to `onError`, and counts as no user.
   */
  readonly distinctId: string | undefined;
  /**
   * Uses `distinctId` for the rest of this request (after a sign-up or a login, say). A
   * number (a database key) is taken as its text, as `identify(req)`'s is.
   */
  identify(distinctId: string | number): void;
  /** Tracks an event for the request's user, with the request's properties merged in. */
  track<E extends keyof Events & string>(event: E, ...args: TrackerArgs<Events, E>): Promise<void>;
  /** Links `aliasId` to `original`, by default the request's distinct id. */
  alias(aliasId: string, original?: string): Promise<void>;
  /** Sets profile properties of the request's user. */
  peopleSet(properties: Properties, options?: TrackOptions): Promise<void>;
  /** Sets profile properties of the request's user where they are not set yet. */
  peopleSetOnce(properties: Properties, options?: TrackOptions): Promise<void>;
  /** Increments numeric profile properties of the request's user. */
  peopleIncrement(properties: Record<string, number>, options?: TrackOptions): Promise<void>;
  /** Removes profile properties of the request's user. */
  peopleUnset(propertyNames: string[], options?: TrackOptions): Promise<void>;
  /** Deletes the request user's profile. */
  peopleDelete(options?: TrackOptions): Promise<void>;
}
