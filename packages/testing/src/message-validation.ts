import { isNonEmptyString, isPlainObject } from './plain-object.js';

const EVENT_TOKEN_MISSING = 'properties.token is missing';
const TOKEN_MISSING = 'token is missing';

/**
 * The status the server answers a problem with: 401 for a missing project token ("invalid or
 * missing project token", contract §1), which a client must keep and back off for, not drop;
 * 400 for everything else.
 */
export function problemStatus(problem: string): 400 | 401 {
  return problem === EVENT_TOKEN_MISSING || problem === TOKEN_MISSING ? 401 : 400;
}

/** The profile operations `/engage` accepts; a message carries exactly one of them. */
export const ENGAGE_OPERATIONS = ['$set', '$set_once', '$add', '$unset', '$delete'] as const;

/** One of the `/engage` operations. */
export type EngageOperation = (typeof ENGAGE_OPERATIONS)[number];

/** The endpoints' message kinds, named as the consumers of `@cohorly/core` name them. */
export type MessageKind = 'events' | 'people' | 'alias';

/**
 * Why a `/track` item would be rejected (with {@link problemStatus}), or `undefined` when it
 * is valid.
 * Extra top-level keys (the SDK's `meta`) and extra properties are allowed.
 */
export function eventProblem(item: unknown): string | undefined {
  if (!isPlainObject(item)) return 'an event must be a JSON object';
  if (!isNonEmptyString(item.event)) return 'event must be a non-empty string';
  const { properties } = item;
  if (!isPlainObject(properties)) return 'properties must be a JSON object';
  if (!isNonEmptyString(properties.token)) return EVENT_TOKEN_MISSING;
  if (!isNonEmptyString(properties.distinct_id)) {
    return 'properties.distinct_id must be a non-empty string';
  }
  // `time` is unix milliseconds in the contract; a string here is a serialization bug.
  if (properties.time !== undefined && !Number.isFinite(properties.time)) {
    return 'properties.time must be a number (unix milliseconds)';
  }
  const insertId = properties.$insert_id;
  if (insertId !== undefined && !isNonEmptyString(insertId)) {
    return 'properties.$insert_id must be a non-empty string';
  }
  return undefined;
}

/** Why an `/engage` item would be rejected, or `undefined` when it is valid. */
export function engageProblem(item: unknown): string | undefined {
  if (!isPlainObject(item)) return 'a profile operation must be a JSON object';
  if (!isNonEmptyString(item.token)) return TOKEN_MISSING;
  if (!isNonEmptyString(item.distinct_id)) return 'distinct_id must be a non-empty string';
  const operations = ENGAGE_OPERATIONS.filter((name) => name in item);
  if (operations.length !== 1) {
    const found = operations.length === 0 ? 'none' : operations.join(', ');
    return `expected exactly one of ${ENGAGE_OPERATIONS.join(', ')}; found ${found}`;
  }
  const operation = operations[0] as EngageOperation;
  const value = item[operation];
  switch (operation) {
    case '$set':
    case '$set_once':
      return isPlainObject(value) ? undefined : `${operation} must be a JSON object`;
    case '$add':
      if (!isPlainObject(value)) return '$add must be a JSON object';
      for (const [name, amount] of Object.entries(value)) {
        if (!Number.isFinite(amount)) return `$add.${name} must be a number`;
      }
      return undefined;
    case '$unset':
      return Array.isArray(value) && value.every((name) => typeof name === 'string')
        ? undefined
        : '$unset must be an array of property names';
    case '$delete':
      return value === true ? undefined : '$delete must be true';
  }
}

/** Why an `/alias` body would be rejected, or `undefined` when it is valid. */
export function aliasProblem(item: unknown): string | undefined {
  if (!isPlainObject(item)) return 'an alias must be a JSON object';
  if (!isNonEmptyString(item.alias)) return 'alias must be a non-empty string';
  if (!isNonEmptyString(item.distinct_id)) return 'distinct_id must be a non-empty string';
  if (!isNonEmptyString(item.token)) return TOKEN_MISSING;
  return undefined;
}

/** The validator of each message kind. */
export const MESSAGE_PROBLEM: Readonly<Record<MessageKind, (item: unknown) => string | undefined>> =
  { events: eventProblem, people: engageProblem, alias: aliasProblem };

/** The project token an item carries (already validated). */
export function tokenOf(kind: MessageKind, item: Record<string, unknown>): string {
  const holder = kind === 'events' ? (item.properties as Record<string, unknown>) : item;
  return holder.token as string;
}
