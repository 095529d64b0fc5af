import type { EventStore, StoredEvent } from './event-store.js';

/** The most events `GET /api/events` answers with, and the events page keeps. */
export const MAX_SNAPSHOT_EVENTS = 500;

/**
 * A stored event as the events page and its API show it: without the project token (the
 * page shows nothing secret), with an id that orders events by arrival.
 */
export interface EventView {
  /** Increases with arrival order; unique for the life of the server (not across restarts). */
  id: number;
  /** The event name. */
  event: string;
  /** `properties.distinct_id`. */
  distinctId: string;
  /** When the server stored it, by the server's clock (epoch milliseconds). */
  receivedAt: number;
  /** `properties.$insert_id`, when the event had one. */
  insertId: string | undefined;
  /** The properties as sent, without `token`. */
  properties: Record<string, unknown>;
  /** Top-level keys of the message other than `event` and `properties`. */
  meta: Record<string, unknown>;
}

/** What `GET /api/events` answers. */
export interface EventsSnapshot {
  /** How many events the server holds (all of them, not only those that matched). */
  total: number;
  /** The most recent matching events, newest first. */
  events: EventView[];
}

/** Gives stored events their page ids and builds their views. */
export class EventViews {
  readonly #store: EventStore;
  // Keyed by the frozen stored object itself: forgotten events (reset) free their ids.
  readonly #ids = new WeakMap<StoredEvent, number>();
  #next = 1;

  constructor(store: EventStore) {
    this.#store = store;
    // Ids follow arrival order: events already stored first, then each one as it is stored.
    for (const event of store.all()) this.#idOf(event);
    store.subscribe((event) => {
      this.#idOf(event);
    });
  }

  /** The view of one stored event. */
  view(event: StoredEvent): EventView {
    return {
      id: this.#idOf(event),
      event: event.event,
      distinctId: event.distinctId,
      receivedAt: event.receivedAt,
      insertId: event.insertId,
      properties: event.properties,
      meta: event.meta,
    };
  }

  /** The most recent `limit` events that `matches` accepts, newest first. */
  snapshot(matches: (event: StoredEvent) => boolean, limit: number): EventsSnapshot {
    const all = this.#store.all();
    const events: EventView[] = [];
    for (let index = all.length - 1; index >= 0 && events.length < limit; index -= 1) {
      const event = all[index] as StoredEvent;
      if (matches(event)) events.push(this.view(event));
    }
    return { total: all.length, events };
  }

  #idOf(event: StoredEvent): number {
    let id = this.#ids.get(event);
    if (id === undefined) {
      id = this.#next;
      this.#next += 1;
      this.#ids.set(event, id);
    }
    return id;
  }
}
