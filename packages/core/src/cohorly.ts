import type {
  CloseOptions,
  CloseReport,
  CohorlyConsumer,
  DrainOptions,
  DrainReport,
} from './cohorly-consumer.js';
import { BUFFERED_CONSUMER_OPTIONS } from './buffered-consumer.js';
import { CONSUMER_OPTIONS, Consumer } from './consumer.js';
import type { Endpoint } from './endpoints.js';
import { newInsertId } from './insert-id.js';
import { checkEventMessage, checkEventMeta, checkPeopleMessage, show } from './message-rules.js';
import type {
  AnyEvents,
  EventArgs,
  EventCatalog,
  Meta,
  Properties,
  PropertyValue,
} from './properties.js';
import { checkOptionNames, type OptionsElsewhere } from './option-names.js';
import { raceDeadline } from './race-deadline.js';
import { checkMs, normalizeApiHost } from './runtime-options.js';
import {
  EventFrame,
  escapeNonAscii,
  eventJson,
  hasIndexKey,
  jsonSerializer,
  layeredJson,
  RawJson,
  type Serializer,
  serializeMessage,
} from './serialize.js';
import { LIB_NAME, LIB_VERSION } from './version.js';

/** Options of {@link Cohorly}. */
export interface CohorlyOptions {
  /**
   * Base URL of the Cohorly server, used by the default consumer.
   * @default "http://localhost:4000"
   */
  apiHost?: string;
  /**
   * Where messages go. `Consumer` sends each at once; `BufferedConsumer` batches them.
   * @default new Consumer({ apiHost })
   */
  consumer?: CohorlyConsumer;
  /**
   * Turns each message into JSON. Pass one to encode types JSON cannot, such as `BigInt`.
   * @default JSON.stringify (Dates become ISO-8601 strings)
   */
  serializer?: Serializer;
}

/** Every option of {@link CohorlyOptions}: a key added there must be added here. */
const COHORLY_OPTIONS: Record<keyof CohorlyOptions, true> = {
  apiHost: true,
  consumer: true,
  serializer: true,
};

/** A consumer's option given to the client (`maxSize`, `fetch`): it goes to the consumer. */
const CONSUMER_OPTIONS_ELSEWHERE: OptionsElsewhere = {
  options: { ...CONSUMER_OPTIONS, ...BUFFERED_CONSUMER_OPTIONS },
  hint: (name) => {
    // An option both consumers take (`fetch`, `requestTimeoutMs`) goes to `Consumer`, the
    // default: pointed to `BufferedConsumer`, a one-shot script would lose its events, which
    // a batching consumer holds until `close()`.
    const consumer = Object.hasOwn(CONSUMER_OPTIONS, name) ? 'Consumer' : 'BufferedConsumer';
    return `${consumer}'s ${name}? pass { consumer: new ${consumer}({ ${name} }) }`;
  },
};

/**
 * The Cohorly client: events, profiles and aliases, with the Python SDK's methods and wire
 * format. Give it a `MyEvents` type (event name to property types) to have every `track`
 * checked at compile time:
 *
 * ```ts
 * type MyEvents = { 'Signed Up': { plan: 'free' | 'pro' } };
 * const cohorly = new Cohorly<MyEvents>(token, { consumer: new BufferedConsumer() });
 * await cohorly.track('user-1', 'Signed Up', { plan: 'pro' });
 * ```
 *
 * Wrong argument types and values JSON cannot carry throw a `TypeError` at the call, before
 * anything is queued; delivery failures reject only with the synchronous `Consumer`.
 */
export class Cohorly<Events extends EventCatalog<Events> = AnyEvents> {
  /** The consumer messages are handed to. */
  readonly consumer: CohorlyConsumer;
  private readonly token: string;
  private readonly serializer: Serializer;
  private readonly frame: EventFrame;

  /**
   * Throws a `TypeError` for a token that is empty or not a string, and for an option it does
   * not know (`host`, `flushAt`), naming the option meant.
   */
  constructor(token: string, options: CohorlyOptions = {}) {
    if (typeof token !== 'string' || token === '') {
      throw new TypeError('Cohorly: token must be a non-empty string (your project token)');
    }
    if (token.trim() !== token) {
      // A secret file or an `.env` line often ends in a newline: the server would refuse every
      // message with 401, and the consumer would hold them all. Not shown: it is a secret.
      throw new TypeError(
        'Cohorly: token must not start or end with white space (a newline from a secret file?); trim it',
      );
    }
    checkOptionNames(options, COHORLY_OPTIONS, 'Cohorly', CONSUMER_OPTIONS_ELSEWHERE);
    this.token = token;
    this.consumer =
      options.consumer ?? new Consumer({ apiHost: normalizeApiHost(options.apiHost, 'Cohorly') });
    this.serializer = options.serializer ?? jsonSerializer;
    this.frame = new EventFrame(token, LIB_NAME, LIB_VERSION);
  }

  /**
   * Records an event. `token`, `distinct_id`, `time` (epoch ms), `$insert_id`, `$lib` and
   * `$lib_version` are stamped first; `properties` are merged over them, so a caller may set
   * its own `time` or `$insert_id`. `meta` keys are merged at the top level of the event.
   */
  track<E extends keyof Events & string>(
    distinctId: string,
    event: E,
    ...args: EventArgs<Events, E>
  ): Promise<void> {
    const [properties, meta] = args as [Properties | undefined, Meta | undefined];
    return this.sendEvent('Cohorly.track', distinctId, event, properties, meta, undefined);
  }

  /**
   * Records a past event at `timestampMs`, through the same `/track` endpoint. Epoch
   * **milliseconds**, as `Date.now()` and `date.getTime()` give them: a time in seconds
   * (`moment().unix()`, a column kept in seconds) would be dated January 1970.
   */
  importData<E extends keyof Events & string>(
    distinctId: string,
    event: E,
    timestampMs: number,
    ...args: EventArgs<Events, E>
  ): Promise<void> {
    if (typeof timestampMs !== 'number' || !Number.isFinite(timestampMs)) {
      throw new TypeError(
        `Cohorly.importData: timestampMs must be a finite number of epoch milliseconds, got ${show(timestampMs)}`,
      );
    }
    const [properties, meta] = args as [Properties | undefined, Meta | undefined];
    return this.sendEvent(
      'Cohorly.importData',
      distinctId,
      event,
      properties,
      meta,
      Math.trunc(timestampMs),
    );
  }

  /**
   * Links `aliasId`, the new id, to the `original` distinct id. The Python SDK's order;
   * mixpanel-node's `alias(distinct_id, alias)` takes them the other way round.
   */
  alias(aliasId: string, original: string): Promise<void> {
    checkId(aliasId, 'Cohorly.alias', 'aliasId');
    checkId(original, 'Cohorly.alias', 'original');
    return this.send('alias', 'Cohorly.alias', {
      alias: aliasId,
      distinct_id: original,
      token: this.token,
    });
  }

  /** Sets profile properties, overwriting existing values. */
  peopleSet(distinctId: string, properties: Properties, meta?: Meta): Promise<void> {
    return this.peopleOperation(
      'Cohorly.peopleSet',
      distinctId,
      '$set',
      checkProps(properties, 'Cohorly.peopleSet'),
      meta,
    );
  }

  /** Sets profile properties only where they are not set yet. */
  peopleSetOnce(distinctId: string, properties: Properties, meta?: Meta): Promise<void> {
    return this.peopleOperation(
      'Cohorly.peopleSetOnce',
      distinctId,
      '$set_once',
      checkProps(properties, 'Cohorly.peopleSetOnce'),
      meta,
    );
  }

  /** Adds the given amounts to numeric profile properties. */
  peopleIncrement(
    distinctId: string,
    properties: Record<string, number>,
    meta?: Meta,
  ): Promise<void> {
    checkProps(properties, 'Cohorly.peopleIncrement');
    for (const [key, value] of Object.entries(properties)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new TypeError(
          `Cohorly.peopleIncrement: properties.${key} must be a finite number, got ${show(value)}`,
        );
      }
    }
    return this.peopleOperation('Cohorly.peopleIncrement', distinctId, '$add', properties, meta);
  }

  /** Removes the named properties from a profile. */
  peopleUnset(distinctId: string, propertyNames: string[], meta?: Meta): Promise<void> {
    if (!Array.isArray(propertyNames) || propertyNames.some((name) => typeof name !== 'string')) {
      throw new TypeError('Cohorly.peopleUnset: propertyNames must be an array of strings');
    }
    return this.peopleOperation('Cohorly.peopleUnset', distinctId, '$unset', propertyNames, meta);
  }

  /** Deletes a profile. */
  peopleDelete(distinctId: string, meta?: Meta): Promise<void> {
    return this.peopleOperation('Cohorly.peopleDelete', distinctId, '$delete', true, meta);
  }

  /**
   * Sends a raw profile operation (it must include `distinct_id`): `token` first, then the
   * message's keys, then `meta`. It must carry exactly one of `$set`, `$set_once`, `$add`,
   * `$unset` and `$delete`, of the right shape, as the server requires; otherwise it throws,
   * so that it never takes the rest of its batch down with it.
   */
  peopleUpdate(message: Record<string, PropertyValue>, meta?: Meta): Promise<void> {
    checkProps(message, 'Cohorly.peopleUpdate', 'message');
    checkId(message.distinct_id, 'Cohorly.peopleUpdate', 'message.distinct_id');
    return this.sendLayers('people', 'Cohorly.peopleUpdate', [
      { token: this.token },
      message,
      checkMeta(meta, 'Cohorly.peopleUpdate'),
    ]);
  }

  /** Delivers what the consumer has queued; resolves `true` when nothing remains. */
  flush(): Promise<boolean> {
    return this.consumer.flush();
  }

  /**
   * Delivers what was queued before the call, waiting out backoff windows, within
   * `timeoutMs` (default 10 s), and leaves the client running: for the end of a serverless
   * invocation. Never rejects. A consumer without its own `drain()` is flushed once.
   */
  drain(options: DrainOptions = {}): Promise<DrainReport> {
    if (this.consumer.drain) return this.consumer.drain(options);
    return this.flushWithin(options.timeoutMs, 'Cohorly.drain').then((drained) => ({
      drained,
      undelivered: 0,
    }));
  }

  /**
   * Flushes and stops the consumer, within `timeoutMs` (default 10 s), and reports what
   * was sent and what was not. Call it before the process exits. A consumer without its own
   * `close()` is flushed once, within `timeoutMs`.
   */
  async close(options: CloseOptions = {}): Promise<CloseReport> {
    if (this.consumer.close) return this.consumer.close(options);
    const drained = await this.flushWithin(options.timeoutMs, 'Cohorly.close');
    return {
      drained,
      sent: 0,
      undelivered: 0,
      queued: { events: 0, people: 0, alias: 0 },
      dropped: { overflow: 0, rejected: 0, oversized: 0 },
    };
  }

  /**
   * What `drain()` and `close()` do with a consumer that has neither: one flush, not waited
   * for past `timeoutMs` (default 10 s); `true` when it said nothing remains. A bad
   * `timeoutMs` throws at the call.
   */
  private flushWithin(timeoutMs: number | undefined, caller: string): Promise<boolean> {
    const ms = checkMs(timeoutMs, 10_000, `${caller}: timeoutMs`);
    const flushed = this.consumer.flush().catch(() => false);
    return raceDeadline(flushed, ms).then((drained) => drained === true);
  }

  private sendEvent(
    caller: string,
    distinctId: string,
    event: string,
    properties: Properties | undefined,
    meta: Meta | undefined,
    time: number | undefined,
  ): Promise<void> {
    checkId(distinctId, caller, 'distinctId');
    if (typeof event !== 'string' || event === '') {
      throw new TypeError(`${caller}: event must be a non-empty string, got ${show(event)}`);
    }
    if (properties !== undefined) checkProps(properties, caller);
    const insertId = newInsertId();
    const stampedTime = time ?? Date.now();
    if (meta === undefined && this.serializer === jsonSerializer) {
      const json = eventJson(this.frame, event, distinctId, stampedTime, insertId, properties);
      if (json !== undefined) return this.consumer.send('events', json);
    }
    const stamped = {
      token: this.token,
      distinct_id: distinctId,
      time: stampedTime,
      $insert_id: insertId,
      $lib: LIB_NAME,
      $lib_version: LIB_VERSION,
    };
    // importData forces the time after the caller's properties, as the Python SDK does.
    const forced = time === undefined ? undefined : { time };
    const checkedMeta = checkMeta(meta, caller);
    let given: Properties | undefined;
    let message: { event: string; properties: Record<string, unknown> };
    try {
      if (checkedMeta !== undefined) checkEventMeta(checkedMeta, caller, this.token);
      given = properties === undefined ? undefined : withoutUndefinedStamps(properties);
      message = { event, properties: { ...stamped, ...given, ...forced }, ...checkedMeta };
    } catch (error) {
      // A getter among the properties or meta that throws (a lazy field of an ORM record):
      // the checks and the merge read it. Named as the serializer names one further down; any
      // other error (a meta key that is not allowed) is thrown as it is.
      throw unreadable([{ event, properties }, checkedMeta], caller, error);
    }
    // The caller's properties and meta may have replaced what the server requires.
    checkEventMessage(message, caller, this.token);
    if (this.serializer !== jsonSerializer || !(hasIndexKey(given) || hasIndexKey(checkedMeta))) {
      return this.send('events', caller, message);
    }
    // Validated (a bad value is named) before it is written in the Python SDK's key order.
    serializeMessage(message, this.serializer, caller);
    const propertiesJson = layeredJson([stamped, given, forced]);
    const json = layeredJson([{ event, properties: new RawJson(propertiesJson) }, checkedMeta]);
    return this.consumer.send('events', escapeNonAscii(json));
  }

  private peopleOperation(
    caller: string,
    distinctId: string,
    operation: '$set' | '$set_once' | '$add' | '$unset' | '$delete',
    value: unknown,
    meta: Meta | undefined,
  ): Promise<void> {
    checkId(distinctId, caller, 'distinctId');
    return this.sendLayers('people', caller, [
      { token: this.token, distinct_id: distinctId, [operation]: value },
      checkMeta(meta, caller),
    ]);
  }

  /**
   * Sends the layers merged, each over the ones before it. With the default serializer, a
   * layer with an array-index key is written in the Python SDK's key order
   * ({@link layeredJson}) instead of JS's, which would list that key first.
   */
  private sendLayers(
    endpoint: Endpoint,
    caller: string,
    layers: Array<Record<string, unknown> | undefined>,
  ): Promise<void> {
    // Spread, not Object.assign: a `__proto__` key stays a key, as in the other messages.
    let message: Record<string, unknown> = {};
    try {
      for (const layer of layers) message = { ...message, ...layer };
    } catch (error) {
      // A getter in `meta` or a raw operation that throws: the merge reads it.
      throw unreadable(layers, caller, error);
    }
    // A raw operation or `meta` may carry a second operation, or replace a required key.
    if (endpoint === 'people') checkPeopleMessage(message, caller, this.token);
    if (this.serializer !== jsonSerializer || !layers.some((layer) => hasIndexKey(layer))) {
      return this.send(endpoint, caller, message);
    }
    serializeMessage(message, this.serializer, caller);
    return this.consumer.send(endpoint, escapeNonAscii(layeredJson(layers)));
  }

  private send(
    endpoint: Endpoint,
    caller: string,
    message: Record<string, unknown>,
  ): Promise<void> {
    return this.consumer.send(endpoint, serializeMessage(message, this.serializer, caller));
  }
}

/**
 * A Cohorly client as the integrations take it (their `client` option): the public methods of
 * {@link Cohorly}, as a structural type. A `Cohorly` is one. Typing with it rather than with
 * the class keeps a client assignable when a program holds two copies of `@cohorly/core`'s
 * declarations: its ES module and CommonJS builds (a `.cts` file given a client from an
 * `.mts` one), or two installed versions. The class has private members, and TypeScript
 * refuses a class instance from one copy where the other copy's class is expected.
 */
export type CohorlyClient<Events extends EventCatalog<Events> = AnyEvents> = Pick<
  Cohorly<Events>,
  keyof Cohorly<Events>
>;

/**
 * The error for a message whose merge threw, from a getter that throws: serializing the
 * layers again names the value (`Cohorly.track: properties.order throws when read (…)`), as a
 * `TypeError` whose `cause` is the getter's error. Runs only on that failure.
 */
function unreadable(
  layers: ReadonlyArray<Record<string, unknown> | undefined>,
  caller: string,
  error: unknown,
): unknown {
  try {
    for (const layer of layers)
      if (layer !== undefined) serializeMessage(layer, jsonSerializer, caller);
  } catch (named) {
    return named;
  }
  // Read again, it did not throw (a getter that throws once): the merge's own error.
  return error;
}

function checkId(value: unknown, caller: string, name: string): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${caller}: ${name} must be a non-empty string, got ${show(value)}`);
  }
}

function checkProps<T>(value: T, caller: string, name = 'properties'): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(
      `${caller}: ${name} must be a plain object, got ${Array.isArray(value) ? 'an array' : show(value)}`,
    );
  }
  return value;
}

/** The keys `track()` stamps on every event, in their order on the wire. */
const STAMPED_KEYS = ['token', 'distinct_id', 'time', '$insert_id', '$lib', '$lib_version'];

/**
 * `properties` without the stamped keys it gives as `undefined`. In JavaScript `undefined`
 * means "not given" (`{ time: event.time }` with no `event.time`), but merged over the stamped
 * value and then left out by JSON, it would send the event with no `time` or `$insert_id`.
 */
function withoutUndefinedStamps(properties: Properties): Properties {
  if (
    !STAMPED_KEYS.some((key) => Object.hasOwn(properties, key) && properties[key] === undefined)
  ) {
    return properties;
  }
  const copy: Record<string, PropertyValue> = { ...properties };
  for (const key of STAMPED_KEYS) if (copy[key] === undefined) delete copy[key];
  return copy;
}

function checkMeta(meta: Meta | undefined, caller: string): Meta | undefined {
  return meta === undefined ? undefined : checkProps(meta, caller, 'meta');
}
