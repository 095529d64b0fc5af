import { describeEvents, type EventQuery } from './event-query.js';
import { describeValue } from './describe-value.js';
import type { EventStore, StoredEvent } from './event-store.js';
import { isPlainObject } from './plain-object.js';
import { isTimerMs, MAX_TIMER_MS } from '@cohorly/core';

/** Options of `waitForEvents`. */
export interface WaitForEventsOptions {
  /**
   * How long to wait, in milliseconds of real time (`setTimeout`, so fake timers drive it).
   * At most 2147483647 (about 24.8 days), the longest a Node.js timer waits: a longer one
   * would fire after 1 ms, so it is rejected with a `TypeError`.
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * How many matching events to wait for, when the first argument is a filter or predicate.
   * @default 1
   */
  count?: number;
}

/** The default `timeoutMs` of `waitForEvents`. */
export const DEFAULT_WAIT_TIMEOUT_MS = 5000;

/** A pending wait, as {@link EventWaiters} keeps it. */
interface PendingWait {
  /** Resolves the wait if enough events match now; `added` is the event just stored, if any. */
  check(added?: StoredEvent): void;
  /** Rejects the wait with `reason` and forgets it. */
  cancel(reason: Error): void;
}

/** Pending `waitForEvents` calls: resolved as events arrive, never by polling. */
export class EventWaiters {
  readonly #store: EventStore;
  readonly #matcher: (query: EventQuery<StoredEvent>) => (event: StoredEvent) => boolean;
  readonly #pending = new Set<PendingWait>();
  /** Why new waits are refused (the server closed), or `undefined` while they are taken. */
  #closed: string | undefined;

  constructor(
    store: EventStore,
    matcher: (query: EventQuery<StoredEvent>) => (event: StoredEvent) => boolean,
  ) {
    this.#store = store;
    this.#matcher = matcher;
    // check() never throws: an error of the caller's filter rejects that caller's wait, and
    // must not reach the store, which would rethrow it as an uncaught exception.
    store.subscribe((event) => {
      for (const wait of [...this.#pending]) wait.check(event);
    });
  }

  /** Resolves with the matching events once there are enough of them. */
  wait(
    match: number | EventQuery<StoredEvent>,
    options: WaitForEventsOptions = {},
  ): Promise<StoredEvent[]> {
    // `waitForEvents(query, 2)` or `{ timeout: 100 }` would otherwise wait for one event, or
    // for the default 5 s, without a word.
    if (!isPlainObject(options as unknown)) {
      return Promise.reject(
        new TypeError(
          `waitForEvents: options must be an object such as { timeoutMs, count }, got ${describeValue(options)}`,
        ),
      );
    }
    const unknown = Object.keys(options).find((key) => key !== 'timeoutMs' && key !== 'count');
    if (unknown !== undefined) {
      return Promise.reject(
        new TypeError(
          `waitForEvents: unknown option ${JSON.stringify(unknown)} (valid: timeoutMs, count)`,
        ),
      );
    }
    const { timeoutMs = DEFAULT_WAIT_TIMEOUT_MS } = options;
    const count = typeof match === 'number' ? match : (options.count ?? 1);
    if (!Number.isInteger(count) || count < 0) {
      return Promise.reject(
        new TypeError(`waitForEvents: count must be an integer >= 0, got ${describeValue(count)}`),
      );
    }
    if (!isTimerMs(timeoutMs)) {
      return Promise.reject(
        new TypeError(
          `waitForEvents: timeoutMs must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, ` +
            `got ${describeValue(timeoutMs)}`,
        ),
      );
    }
    let matches: (event: StoredEvent) => boolean;
    try {
      // Throws a TypeError for a filter with a key it does not know (`distinct_id`).
      matches = typeof match === 'number' ? () => true : this.#matcher(match);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closed !== undefined) {
      // No event can arrive any more: waiting out timeoutMs would only delay the failure.
      return Promise.reject(
        new Error(`waitForEvents: ${this.#closed}, so no event can arrive any more`),
      );
    }
    // What the caller's filter throws is named, with the event it threw on, and rejects.
    const test = (event: StoredEvent): boolean => {
      try {
        return matches(event);
      } catch (error) {
        throw filterError(match, event, error);
      }
    };
    const matching = () => this.#store.all().filter(test);

    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const wait: PendingWait = {
        check: (added) => {
          try {
            if (added !== undefined && !test(added)) return;
            // Counted from the store, not incrementally: a reset() meanwhile must not count.
            const found = matching();
            if (found.length < count) return;
            finish();
            resolve(found);
          } catch (error) {
            wait.cancel(error as Error);
          }
        },
        cancel: (reason) => {
          finish();
          reject(reason);
        },
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.#pending.delete(wait);
      };
      this.#pending.add(wait);
      timer = setTimeout(() => {
        // Forgotten first, so that nothing below can leave the wait pending for ever.
        finish();
        reject(timeoutError(match, count, timeoutMs, this.#store.all(), matching));
      }, timeoutMs);
      wait.check();
    });
  }

  /**
   * Checks every pending wait again against the stored events: for a change that makes
   * stored events match a query they did not match (an alias links two distinct ids).
   */
  recheck(): void {
    for (const wait of [...this.#pending]) wait.check();
  }

  /** Rejects every pending wait with `reason` (the server is closing), and every later one. */
  cancelAll(reason: string): void {
    this.#closed ??= reason;
    for (const wait of [...this.#pending]) wait.cancel(new Error(`waitForEvents: ${reason}`));
  }
}

/** The error a wait rejects with when the caller's predicate or `where` throws. */
function filterError(
  match: number | EventQuery<StoredEvent>,
  event: StoredEvent,
  error: unknown,
): Error {
  const what = typeof match === 'function' ? 'the predicate' : "the filter's where()";
  const reason = error instanceof Error ? error.message : describeValue(error);
  return new Error(
    `waitForEvents: ${what} threw on the event ${JSON.stringify(event.event)} ` +
      `distinct_id=${JSON.stringify(event.distinctId)}: ${reason}`,
    { cause: error },
  );
}

/** The error a wait rejects with at its timeout; never throws, so the wait always settles. */
function timeoutError(
  match: number | EventQuery<StoredEvent>,
  count: number,
  timeoutMs: number,
  stored: StoredEvent[],
  matching: () => StoredEvent[],
): Error {
  const start = `waitForEvents: timed out after ${timeoutMs} ms waiting for ${count} event(s)`;
  let matched: number;
  try {
    matched = matching().length;
  } catch (error) {
    // The filter threw only now (it may depend on more than the event): that is the news.
    return error as Error;
  }
  try {
    return new Error(
      `${start} ${describeMatch(match)}; ${matched} matched. ` +
        `Events stored (${stored.length}):\n${describeEvents(stored)}`,
    );
  } catch (error) {
    // Events the JSON of the list cannot hold (a BigInt among `initialEvents`).
    return new Error(`${start} ${describeMatch(match)}; ${matched} matched`, { cause: error });
  }
}

function describeMatch(match: number | EventQuery<StoredEvent>): string {
  if (typeof match === 'number') return 'of any kind';
  if (typeof match === 'function') return 'matching the predicate';
  const { where, ...fields } = match;
  const and = where === undefined ? '' : ' and its where()';
  try {
    return `matching ${JSON.stringify(fields)}${and}`;
  } catch {
    // `properties` JSON cannot encode (a BigInt, a cycle): name the keys instead.
    return `matching a filter on ${Object.keys(fields).join(', ')}${and}`;
  }
}
