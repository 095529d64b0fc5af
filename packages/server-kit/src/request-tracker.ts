import {
  type AnyEvents,
  type CohorlyClient,
  closestOption,
  type EventCatalog,
  type Properties,
} from '@cohorly/core';
import {
  describeValue,
  ignoreRejection,
  isPlainObject,
  isThenable,
  messageOf,
} from './describe-value.js';
import { type IdentityOptions, idOfNumber, resolveDistinctId } from './identity.js';
import { type ErrorHandler, reportError } from './report-error.js';
import type { RequestAccessor } from './request-accessor.js';
import { type RequestPropertiesOptions, requestProperties } from './request-properties.js';
import type { RequestTrackerLike, TrackerArgs, TrackOptions } from './request-tracker-like.js';

/** What a tracker needs from its request and its integration. */
export interface TrackerScope<Req> {
  req: Req;
  client: CohorlyClient;
  accessor: RequestAccessor<Req>;
  options: IdentityOptions<Req> & RequestPropertiesOptions<Req>;
  onError: ErrorHandler;
  /** Called after each message was handed to the client (schedules the request's flush). */
  onTracked?: () => void;
  /**
   * Drop every message without a word (a request `ignore(req)` excludes), so code that
   * tracks on every request needs no special case for ignored ones.
   * @default false
   */
  discard?: boolean;
  /**
   * Runs `fn` outside the request's async context (the integration's `outsideRequest`). The
   * client is called through it: a full buffer starts a delivery from that call, which would
   * otherwise run, report its failures and keep its socket in this request's context, and
   * hold the request (its tracker, `req`, `res`) in memory until the delivery ends.
   * @default none: the client is called in the caller's context
   */
  outsideRequest?: <T>(fn: () => T) => T;
}

const done = Promise.resolve();

/**
 * A Cohorly client bound to one request: events and profile updates go to the request's
 * user, found when each call is made (an explicit id, `identify(req)`, then the anonymous
 * id). A call's options take `distinctId` only: with any other key (`distinct_id`,
 * `userId`), or options that are no object, the call is not sent and `onError` says why. It
 * never throws and its promises never reject: failures go to `onError`. Each call
 * resolves once its message is queued, never after a delivery, so awaiting it never holds a
 * response. Public types name {@link RequestTrackerLike}, its members as an interface, which
 * two copies of this package (its ESM and CommonJS builds) agree on.
 */
export class RequestTracker<Events extends EventCatalog<Events> = AnyEvents>
  implements RequestTrackerLike<Events>
{
  private identified: string | undefined;

  constructor(private readonly scope: TrackerScope<unknown>) {}

  /**
   * The request's distinct id right now, or `undefined` when it has none. Never throws: an
   * `identify(req)` that throws is reported to `onError`, and counts as no user.
   */
  get distinctId(): string | undefined {
    try {
      return resolveDistinctId(
        this.scope.req,
        this.scope.accessor,
        this.scope.options,
        this.identified,
      );
    } catch (error) {
      reportError(this.scope.onError, error);
      return undefined;
    }
  }

  /**
   * Uses `distinctId` for the rest of this request (after a sign-up or a login, say). A
   * number (a database key) is taken as its text, as `identify(req)`'s is.
   */
  identify(distinctId: string | number): void {
    try {
      if (typeof distinctId === 'number') {
        this.identified = idOfNumber(distinctId, 'identify: distinctId is');
        return;
      }
      if (typeof distinctId !== 'string' || distinctId === '') {
        throw new TypeError(
          `identify: distinctId must be a non-empty string or a number, got ${describeValue(distinctId)}`,
        );
      }
      this.identified = distinctId;
    } catch (error) {
      reportError(this.scope.onError, error);
    }
  }

  /** Tracks an event for the request's user, with the request's properties merged in. */
  track<E extends keyof Events & string>(event: E, ...args: TrackerArgs<Events, E>): Promise<void> {
    const [properties, options] = args as [Properties | undefined, TrackOptions | undefined];
    // A Promise (from an async properties callback) is refused below, or not looked at when the
    // event is dropped: its rejection must not end the process either way.
    if (isThenable(properties)) ignoreRejection(properties);
    // String(): from plain JS, a Symbol in a template literal would throw here, outside the
    // shield of forUser().
    const what = `track "${String(event)}"`;
    return this.forUser(what, options, (id) => {
      // Checked before the merge, which would turn an array into {"0": …} and a Promise into
      // nothing, without a word.
      if (properties !== undefined && !isPlainObject(properties)) {
        const hint = isThenable(properties)
          ? ' (track() reads properties synchronously: await them first)'
          : '';
        throw new TypeError(
          `properties must be a plain object, got ${describeValue(properties)}${hint}`,
        );
      }
      const fromRequest = requestProperties(
        this.scope.req,
        this.scope.accessor,
        this.scope.options,
        this.scope.onError,
        what,
      );
      return this.scope.client.track(id, event, { ...fromRequest, ...properties } as Properties);
    });
  }

  /** Links `aliasId` to `original`, by default the request's distinct id. */
  alias(aliasId: string, original?: string): Promise<void> {
    return this.forUser('alias', { distinctId: original }, (id) =>
      this.scope.client.alias(aliasId, id),
    );
  }

  /** Sets profile properties of the request's user. */
  peopleSet(properties: Properties, options?: TrackOptions): Promise<void> {
    return this.forUser('peopleSet', options, (id) => this.scope.client.peopleSet(id, properties));
  }

  /** Sets profile properties of the request's user where they are not set yet. */
  peopleSetOnce(properties: Properties, options?: TrackOptions): Promise<void> {
    return this.forUser('peopleSetOnce', options, (id) =>
      this.scope.client.peopleSetOnce(id, properties),
    );
  }

  /** Increments numeric profile properties of the request's user. */
  peopleIncrement(properties: Record<string, number>, options?: TrackOptions): Promise<void> {
    return this.forUser('peopleIncrement', options, (id) =>
      this.scope.client.peopleIncrement(id, properties),
    );
  }

  /** Removes profile properties of the request's user. */
  peopleUnset(propertyNames: string[], options?: TrackOptions): Promise<void> {
    return this.forUser('peopleUnset', options, (id) =>
      this.scope.client.peopleUnset(id, propertyNames),
    );
  }

  /** Deletes the request user's profile. */
  peopleDelete(options?: TrackOptions): Promise<void> {
    return this.forUser('peopleDelete', options, (id) => this.scope.client.peopleDelete(id));
  }

  private forUser(
    what: string,
    options: TrackOptions | undefined,
    send: (distinctId: string) => Promise<void>,
  ): Promise<void> {
    if (this.scope.discard) return done;
    const onError = this.scope.onError;
    try {
      const distinctId = this.recipient(options);
      // Resolves once queued, never after a delivery: a full buffer makes the client's
      // promise wait for the batch it sends, and a handler that awaits track() must not hold
      // its response for an HTTP request to Cohorly. Failures still reach onError.
      const deliver = () => observeDelivery(send(distinctId), onError);
      const outside = this.scope.outsideRequest;
      if (outside) outside(deliver);
      else deliver();
    } catch (error) {
      // Every synchronous failure, the client's own included (a property getter that throws,
      // properties too deep to serialize), names the message it cost: `Maximum call stack
      // size exceeded` alone would not say which event was lost.
      reportError(onError, notSent(what, error));
      return done;
    }
    try {
      this.scope.onTracked?.();
    } catch (error) {
      reportError(onError, error);
    }
    return done;
  }

  /** The distinct id a message goes to; throws why there is none. */
  private recipient(options: TrackOptions | undefined): string {
    // Options left out cost nothing: only given ones are checked.
    const explicit = options === undefined ? undefined : explicitIdOf(options);
    const distinctId = resolveDistinctId(
      this.scope.req,
      this.scope.accessor,
      this.scope.options,
      explicit ?? this.identified,
    );
    if (distinctId === undefined) {
      throw new Error(
        'this request has no distinct id (pass { distinctId }, configure identify(req), or send an anonymous id)',
      );
    }
    return distinctId;
  }
}

/**
 * The `distinctId` of a call's options, after checking them. Anything but `{ distinctId? }` is
 * a mistake that would file the message under the request's user instead of the one meant:
 * `{ distinct_id }` (mixpanel's and the Python SDK's name), `{ userId }` (Segment's), an id
 * passed bare, an empty id. Throws a `TypeError` naming it.
 */
function explicitIdOf(options: unknown): string | undefined {
  if (!isPlainObject(options)) {
    const example =
      typeof options === 'string' || typeof options === 'number'
        ? `{ distinctId: ${JSON.stringify(String(options))} }`
        : '{ distinctId: "user-1" }';
    throw new TypeError(
      `options must be an object such as ${example}, got ${describeValue(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(TRACK_OPTIONS, key)) throw new TypeError(unknownOption(key));
  }
  const explicit = options.distinctId;
  // An explicit id that is empty is a bug in the caller, not a request to use the
  // request's user: sending it to someone else would misattribute the event.
  if (explicit !== undefined && (typeof explicit !== 'string' || explicit === '')) {
    throw new TypeError(`distinctId must be a non-empty string, got ${describeValue(explicit)}`);
  }
  return explicit;
}

/** Every option of {@link TrackOptions}: a key added there must be added here. */
const TRACK_OPTIONS: Record<keyof TrackOptions, true> = { distinctId: true };

/** Why `key` is refused, with the option it most likely meant (Segment's `userId` included). */
function unknownOption(key: string): string {
  const names = Object.keys(TRACK_OPTIONS);
  const meant = closestOption(key, names);
  if (meant !== undefined) return `${key} is not an option (did you mean ${meant}?)`;
  return names.length === 1
    ? `${key} is not an option (the only one is ${names[0]})`
    : `${key} is not an option; the options are ${names.join(', ')}`;
}

/**
 * Reports a delivery's failure to `onError`. A function of its own, so that the reaction
 * holds `onError` only: a closure in the tracker would keep the request in memory for as
 * long as the delivery takes.
 */
function observeDelivery(delivery: Promise<void>, onError: ErrorHandler): void {
  delivery.catch((error: unknown) => reportError(onError, error));
}

/**
 * Why a message was dropped, naming it (`track "Viewed" was not sent: identify(req) threw:
 * …`): a callback's or the client's own error alone would not say which event it cost. A
 * `TypeError` (bad input: properties, an id) stays one; the error is kept as the `cause`.
 */
function notSent(what: string, error: unknown): Error {
  const reason = messageOf(error);
  const Kind = error instanceof TypeError ? TypeError : Error;
  return new Kind(`${what} was not sent: ${reason}`, { cause: error });
}
