import { describeValue } from './describe-value.js';
import type { IdentityMap } from './identity-map.js';
import { matchesPartial } from './partial-match.js';
import { isPlainObject } from './plain-object.js';

/** The fields of a stored or recorded event that queries look at. */
export interface QueryableEvent {
  /** The event name. */
  event: string;
  /** `properties.distinct_id`. */
  distinctId: string;
  /** The project token the event was sent with. */
  token: string;
  /** The event's properties. */
  properties: Record<string, unknown>;
}

/** Selects events by their fields; every field given must match. */
export interface EventFilter<E extends QueryableEvent = QueryableEvent> {
  /** The event name, compared exactly. */
  event?: string;
  /**
   * The distinct id. Events tracked under an id linked to it by an alias match too (in
   * either direction), as the Cohorly server merges identities.
   */
  distinctId?: string;
  /** The project token. */
  token?: string;
  /** Properties the event must have, with these values (a partial, deep comparison). */
  properties?: Record<string, unknown>;
  /** Any further test. */
  where?: (event: E) => boolean;
}

/** An {@link EventFilter}, or a predicate over events. */
export type EventQuery<E extends QueryableEvent = QueryableEvent> =
  | EventFilter<E>
  | ((event: E) => boolean);

// Records rather than a list, so that the compiler says when a field is added but not here.
const FILTER_KEYS = Object.keys({
  event: true,
  distinctId: true,
  token: true,
  properties: true,
  where: true,
} satisfies Record<keyof EventFilter, true>);

/**
 * Turns a query into a predicate; with no query every event matches.
 *
 * The predicate calls `where` (or the query itself, when it is a function) and lets what
 * that throws propagate: each caller decides where such an error belongs.
 * @throws TypeError when the query is neither a function nor an object, or has a key an
 * {@link EventFilter} does not (`distinct_id`, `name`): ignored, it would match every event.
 */
export function eventMatcher<E extends QueryableEvent>(
  query: EventQuery<E> | undefined,
  identities: IdentityMap,
): (event: E) => boolean {
  if (query === undefined) return () => true;
  if (typeof query === 'function') return query;
  if (!isPlainObject(query as unknown)) {
    throw new TypeError(
      `event filter must be an object such as { event, distinctId } or a function, got ${describeValue(query)}`,
    );
  }
  const unknown = Object.keys(query).find((key) => !FILTER_KEYS.includes(key));
  if (unknown !== undefined) {
    throw new TypeError(
      `event filter: unknown key ${JSON.stringify(unknown)} (valid: ${FILTER_KEYS.join(', ')})`,
    );
  }
  const { event, distinctId, token, properties, where } = query;
  return (candidate) =>
    (event === undefined || candidate.event === event) &&
    (token === undefined || candidate.token === token) &&
    (distinctId === undefined ||
      identities.same(candidate.token, candidate.distinctId, distinctId)) &&
    (properties === undefined || matchesPartial(candidate.properties, properties)) &&
    (where === undefined || where(candidate));
}

/** One short line per event, for error messages that list what did arrive. */
export function describeEvents(events: readonly QueryableEvent[], limit = 20): string {
  if (events.length === 0) return '  (none)';
  const lines = events.slice(0, limit).map((item, index) => {
    const shown = JSON.stringify(item.properties);
    const props = shown.length > 160 ? `${shown.slice(0, 157)}...` : shown;
    return `  ${index + 1}. ${JSON.stringify(item.event)} distinct_id=${JSON.stringify(item.distinctId)} ${props}`;
  });
  if (events.length > limit) lines.push(`  ... and ${events.length - limit} more`);
  return lines.join('\n');
}
