import { deepFreeze } from './deep-freeze.js';
import type { QueryableEvent } from './event-query.js';
import type { JsonObject } from './plain-object.js';

/** An event the server accepted and stored. Stored events are frozen. */
export interface StoredEvent extends QueryableEvent {
  /** The event name. */
  event: string;
  /** `properties.distinct_id`. */
  distinctId: string;
  /**
   * The project token it was sent with. The server strips `token` from `properties` (as the
   * Cohorly server does) and keeps it here, so queries can tell projects apart.
   */
  token: string;
  /** The properties as sent, without `token`. */
  properties: Record<string, unknown>;
  /** `properties.$insert_id`, the deduplication key; `undefined` when the event had none. */
  insertId: string | undefined;
  /** Top-level keys of the message other than `event` and `properties` (the SDK's `meta`). */
  meta: Record<string, unknown>;
  /** When the server stored it, by the server's clock (epoch milliseconds). */
  receivedAt: number;
}

/** Called with each newly stored event (duplicates are not stored, so not reported). */
export type EventListener = (event: StoredEvent) => void;

/** Builds the stored form of a validated `/track` item. */
export function toStoredEvent(message: JsonObject, receivedAt: number): StoredEvent {
  const { event, properties, ...meta } = message;
  const { token, ...kept } = properties as JsonObject;
  return deepFreeze({
    event: event as string,
    distinctId: kept.distinct_id as string,
    token: token as string,
    properties: kept,
    insertId: kept.$insert_id as string | undefined,
    meta,
    receivedAt,
  });
}

/** Stored events in arrival order, deduplicated by token and `$insert_id`. */
export class EventStore {
  readonly #events: StoredEvent[] = [];
  readonly #insertIds = new Set<string>();
  readonly #listeners = new Set<EventListener>();

  /**
   * Stores the events not seen before and tells the listeners about them.
   * @returns the events stored (duplicates left out).
   */
  add(events: readonly StoredEvent[]): StoredEvent[] {
    const added: StoredEvent[] = [];
    for (const event of events) {
      if (event.insertId !== undefined) {
        // NUL cannot occur in a token typed by a person; it keeps the two parts apart.
        const key = `${event.token}\u0000${event.insertId}`;
        if (this.#insertIds.has(key)) continue;
        this.#insertIds.add(key);
      }
      this.#events.push(event);
      added.push(event);
    }
    for (const event of added) this.#notify(event);
    return added;
  }

  /** Every stored event, oldest first. */
  all(): StoredEvent[] {
    return [...this.#events];
  }

  /** Subscribes to newly stored events; returns the function that unsubscribes. */
  subscribe(listener: EventListener): () => void {
    // A wrapper per subscription, so subscribing the same function twice needs two unsubscribes.
    const entry: EventListener = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Forgets every event and every insert id; listeners stay subscribed. */
  clear(): void {
    this.#events.length = 0;
    this.#insertIds.clear();
  }

  #notify(event: StoredEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        // A broken listener must not fail the request that stored the event, nor starve the
        // other listeners; rethrown on its own, it still surfaces as an uncaught error.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
