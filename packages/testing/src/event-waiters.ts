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

/** Pending `waitForEvents` calls: resolved as events arrive, never by polling. */
export class EventWaiters {
  readonly #store: EventStore;
  readonly #matcher: (query: EventQuery<StoredEvent>) => (event: StoredEvent) => boolean;
  readonly #cancels = new Set<(reason: Error) => void>();

  constructor(
    store: EventStore,
    matcher: (query: EventQuery<StoredEvent>) => (event: StoredEvent) => boolean,
  ) {
    this.#store = store;
    this.#matcher = matcher;
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
    const matches = typeof match === 'number' ? () => true : this.#matcher(match);
    const matching = () => this.#store.all().filter(matches);
    const already = matching();
    if (already.length >= count) return Promise.resolve(already);

    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (): void => {
        clearTimeout(timer);
        unsubscribe();
        this.#cancels.delete(cancel);
      };
      const cancel = (reason: Error): void => {
        finish();
        reject(reason);
      };
      const unsubscribe = this.#store.subscribe((event) => {
        if (!matches(event)) return;
        // Counted from the store, not incrementally: a reset() meanwhile must not count.
        const found = matching();
        if (found.length >= count) {
          finish();
          resolve(found);
        }
      });
      this.#cancels.add(cancel);
      timer = setTimeout(() => {
        const stored = this.#store.all();
        cancel(
          new Error(
            `waitForEvents: timed out after ${timeoutMs} ms waiting for ${count} event(s) ` +
              `${describeMatch(match)}; ${matching().length} matched. ` +
              `Events stored (${stored.length}):\n${describeEvents(stored)}`,
          ),
        );
      }, timeoutMs);
    });
  }

  /** Rejects every pending wait with `reason` (the server is closing). */
  cancelAll(reason: string): void {
    for (const cancel of [...this.#cancels]) cancel(new Error(`waitForEvents: ${reason}`));
  }
}

function describeMatch(match: number | EventQuery<StoredEvent>): string {
  if (typeof match === 'number') return 'of any kind';
  if (typeof match === 'function') return 'matching the predicate';
  const { where, ...fields } = match;
  return `matching ${JSON.stringify(fields)}${where === undefined ? '' : ' and its where()'}`;
}
