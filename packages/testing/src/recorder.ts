import {
  type CloseOptions,
  type CloseReport,
  CohorlyError,
  type CohorlyConsumer,
  type Endpoint,
} from '@cohorly/core';
import {
  describeEvents,
  type EventQuery,
  eventMatcher,
  type QueryableEvent,
} from './event-query.js';
import { IdentityMap } from './identity-map.js';
import { deepFreeze } from './deep-freeze.js';
import {
  ENGAGE_OPERATIONS,
  type EngageOperation,
  MESSAGE_PROBLEM,
  problemStatus,
} from './message-validation.js';
import { matchesPartial } from './partial-match.js';
import { isPlainObject, type JsonObject } from './plain-object.js';

/** One message as a client handed it to the consumer, that is, as it would go on the wire. */
export interface RecordedMessage {
  /** The endpoint it was sent to. */
  endpoint: Endpoint;
  /** The JSON text exactly as the client serialized it. */
  json: string;
  /** `json`, parsed. */
  data: unknown;
}

/** A recorded `/track` message. */
export interface RecordedEvent extends QueryableEvent {
  /** The event name. */
  event: string;
  /** `properties.distinct_id`. */
  distinctId: string;
  /** `properties.token`. */
  token: string;
  /** The properties exactly as sent, `token` included. */
  properties: Record<string, unknown>;
  /** `properties.$insert_id`, when there is one. */
  insertId: string | undefined;
  /** The message it came from. */
  message: RecordedMessage;
}

/** A recorded `/engage` message. */
export interface RecordedPeopleOperation {
  /** The profile's distinct id. */
  distinctId: string;
  /** The project token. */
  token: string;
  /** Which operation it is. */
  operation: EngageOperation;
  /** The operation's value: properties for `$set`, names for `$unset`, `true` for `$delete`. */
  value: unknown;
  /** The message it came from. */
  message: RecordedMessage;
}

/** A recorded `/alias` message. */
export interface RecordedAlias {
  /** The new id. */
  alias: string;
  /** The id it stands for. */
  distinctId: string;
  /** The project token. */
  token: string;
  /** The message it came from. */
  message: RecordedMessage;
}

/** Options of {@link createRecorder}. */
export interface RecorderOptions {
  /**
   * Check each message as the Cohorly server would, and reject the `send` (so the client's
   * call) of one it would refuse (400, or 401 for a missing token), without recording it.
   * @default true
   */
  validate?: boolean;
}

/**
 * A consumer that records messages in memory instead of sending them. It stands in for the
 * synchronous `Consumer` of `@cohorly/core`, and fails as that does: each `send` settles at
 * once, and a message the server would refuse rejects that `send` (and so the client's call)
 * instead of being queued, retried or counted as dropped.
 */
export interface Recorder extends CohorlyConsumer {
  /**
   * Records one message. Rejects with a `TypeError` a message that is not JSON (or an unknown
   * endpoint), and, as `Consumer` does, with a `CohorlyError` one the server would refuse:
   * `code: 'rejected'` and `status: 400` for an invalid message, `code: 'unauthorized'` and
   * `status: 401` for a missing token (`retryable: false`, `messages: 1`).
   */
  send(endpoint: Endpoint, jsonMessage: string): Promise<void>;
  /** Nothing is ever queued: resolves `true`. */
  flush(): Promise<boolean>;
  /**
   * Reports everything recorded as sent, as `Consumer` reports: drained, nothing undelivered,
   * nothing dropped (a refused message rejected its `send` instead). The recorder keeps
   * working afterwards.
   */
  close(options?: CloseOptions): Promise<CloseReport>;
  /** Every recorded message, oldest first; with `endpoint`, only that endpoint's. */
  messages(endpoint?: Endpoint): RecordedMessage[];
  /** Recorded events, oldest first; with a query, only those it matches. */
  events(query?: EventQuery<RecordedEvent>): RecordedEvent[];
  /** Recorded `/engage` operations, oldest first. */
  people(): RecordedPeopleOperation[];
  /** Recorded aliases, oldest first. */
  aliases(): RecordedAlias[];
  /** The first recorded event the query matches, or `undefined`. */
  find(query: EventQuery<RecordedEvent>): RecordedEvent | undefined;
  /**
   * Returns the first event named `name` whose properties contain `properties` (a partial,
   * deep comparison); throws an `Error` listing what was recorded when there is none.
   */
  expectEvent(name: string, properties?: Record<string, unknown>): RecordedEvent;
  /** Forgets everything recorded. */
  clear(): void;
}

const ENDPOINTS: readonly Endpoint[] = ['events', 'people', 'alias'];

/**
 * Creates a consumer that keeps every message in memory, for unit tests without a network:
 * `new Cohorly('token', { consumer: createRecorder() })`. It needs no test framework.
 */
export function createRecorder(options: RecorderOptions = {}): Recorder {
  const { validate = true } = options;
  const recorded: RecordedMessage[] = [];
  let identities = new IdentityMap();

  const events = (): RecordedEvent[] =>
    recorded.filter((message) => message.endpoint === 'events').flatMap(toEvent);
  const select = (query: EventQuery<RecordedEvent> | undefined): RecordedEvent[] =>
    events().filter(eventMatcher(query, identities));

  return {
    async send(endpoint, jsonMessage) {
      if (!ENDPOINTS.includes(endpoint)) {
        throw new TypeError(`recorder: unknown endpoint ${JSON.stringify(endpoint)}`);
      }
      if (typeof jsonMessage !== 'string') {
        throw new TypeError('recorder: a message must be a JSON string');
      }
      let data: unknown;
      try {
        data = JSON.parse(jsonMessage);
      } catch (error) {
        throw new TypeError(`recorder: the ${endpoint} message is not JSON: ${jsonMessage}`, {
          cause: error,
        });
      }
      const problem = validate ? MESSAGE_PROBLEM[endpoint](data) : undefined;
      if (problem !== undefined) {
        const status = problemStatus(problem);
        // What `Consumer` rejects with for that answer: a 401 is not retried by it either.
        throw new CohorlyError(
          `recorder: the Cohorly server would reject this ${endpoint} message (${status}: ${problem}): ${jsonMessage}`,
          {
            code: status === 401 ? 'unauthorized' : 'rejected',
            status,
            retryable: false,
            messages: 1,
          },
        );
      }
      // Frozen: what a test reads back must be what was sent, even if a test edits its copy.
      const message: RecordedMessage = { endpoint, json: jsonMessage, data: deepFreeze(data) };
      recorded.push(message);
      for (const link of endpoint === 'alias' ? toAlias(message) : []) {
        identities.link(link.token, link.alias, link.distinctId);
      }
    },
    async flush() {
      return true;
    },
    async close() {
      // As `Consumer`: a refused message was reported by its rejected send, never dropped.
      return {
        drained: true,
        sent: recorded.length,
        undelivered: 0,
        queued: { events: 0, people: 0, alias: 0 },
        dropped: { overflow: 0, rejected: 0, oversized: 0 },
      };
    },
    messages: (endpoint) =>
      recorded.filter((message) => endpoint === undefined || message.endpoint === endpoint),
    events: select,
    people: () =>
      recorded.filter((message) => message.endpoint === 'people').flatMap(toPeopleOperation),
    aliases: () => recorded.filter((message) => message.endpoint === 'alias').flatMap(toAlias),
    find: (query) => select(query)[0],
    expectEvent(name, properties) {
      const found = events().find(
        (event) =>
          event.event === name &&
          (properties === undefined || matchesPartial(event.properties, properties)),
      );
      if (found !== undefined) return found;
      const wanted =
        properties === undefined ? '' : ` with properties ${JSON.stringify(properties)}`;
      const all = events();
      throw new Error(
        `expectEvent: expected a ${JSON.stringify(name)} event${wanted}, but none was recorded.\n` +
          `Recorded events (${all.length}):\n${describeEvents(all)}`,
      );
    },
    clear() {
      recorded.length = 0;
      identities = new IdentityMap();
    },
  };
}

// The views below skip messages of the wrong shape, which only `validate: false` records.

function toEvent(message: RecordedMessage): RecordedEvent[] {
  const { data } = message;
  if (MESSAGE_PROBLEM.events(data) !== undefined || !isPlainObject(data)) return [];
  const properties = data.properties as JsonObject;
  return [
    {
      event: data.event as string,
      distinctId: properties.distinct_id as string,
      token: properties.token as string,
      properties,
      insertId: properties.$insert_id as string | undefined,
      message,
    },
  ];
}

function toPeopleOperation(message: RecordedMessage): RecordedPeopleOperation[] {
  const { data } = message;
  if (MESSAGE_PROBLEM.people(data) !== undefined || !isPlainObject(data)) return [];
  const operation = ENGAGE_OPERATIONS.find((name) => name in data) as EngageOperation;
  return [
    {
      distinctId: data.distinct_id as string,
      token: data.token as string,
      operation,
      value: data[operation],
      message,
    },
  ];
}

function toAlias(message: RecordedMessage): RecordedAlias[] {
  const { data } = message;
  if (MESSAGE_PROBLEM.alias(data) !== undefined || !isPlainObject(data)) return [];
  return [
    {
      alias: data.alias as string,
      distinctId: data.distinct_id as string,
      token: data.token as string,
      message,
    },
  ];
}
