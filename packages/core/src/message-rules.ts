/**
 * What the Cohorly server rejects with 400, checked on a message before it is queued.
 *
 * Why: the server accepts or rejects a batch as a whole, so one message it rejects would take
 * every other message of its batch with it (contract 4.8: one bad message never poisons a
 * batch). The client builds valid messages itself; these rules catch what a caller can put
 * over them: `properties.time` as a `Date`, a `meta` that replaces `properties`, a raw profile
 * operation with two operations, a `toJSON()` that writes something else. And a `token` of the
 * caller's: the server refuses a batch with an unknown token as a whole (401, and the consumer
 * then holds the queue), or stores the event in another project.
 */

/** The profile operations `/engage` accepts; a message carries exactly one of them. */
const PEOPLE_OPERATIONS = ['$set', '$set_once', '$add', '$unset', '$delete'] as const;

/**
 * Throws a `TypeError` naming the first part of an event the server would reject, or that
 * would not reach the project of `token`.
 */
export function checkEventMessage(
  message: Record<string, unknown>,
  caller: string,
  token: string,
): void {
  const problem = eventProblem(message, token);
  if (problem !== undefined) throw new TypeError(`${caller}: ${problem}`);
}

/**
 * Throws a `TypeError` naming the first part of a profile operation the server would reject,
 * or that would not reach the project of `token`.
 */
export function checkPeopleMessage(
  message: Record<string, unknown>,
  caller: string,
  token: string,
): void {
  const problem = peopleProblem(message, token);
  if (problem !== undefined) throw new TypeError(`${caller}: ${problem}`);
}

/**
 * Throws a `TypeError` for an event's `meta` that would replace what the client builds: its
 * name, its properties (with the user, `time` and `$insert_id` stamped on them, so retries
 * could not be deduplicated), or its token.
 */
export function checkEventMeta(meta: Record<string, unknown>, caller: string, token: string): void {
  if (Object.hasOwn(meta, 'event')) {
    throw new TypeError(
      `${caller}: meta.event would replace the event name; pass the name as the event`,
    );
  }
  if (Object.hasOwn(meta, 'properties')) {
    throw new TypeError(
      `${caller}: meta.properties would replace the event's properties, with the user, time and $insert_id stamped on them; pass them as the properties`,
    );
  }
  if (Object.hasOwn(meta, 'token') && meta.token !== token) {
    throw new TypeError(`${caller}: ${tokenProblem('meta.token')}`);
  }
}

function eventProblem(message: Record<string, unknown>, token: string): string | undefined {
  if (hasToJson(message)) return TO_JSON_IN_META;
  const { event, properties } = message;
  if (!isNonEmptyString(event)) return `event must be a non-empty string, got ${show(event)}`;
  if (!isObject(properties)) return `properties must be a plain object, got ${show(properties)}`;
  if (hasToJson(properties)) {
    return 'properties.toJSON must not be a function: JSON would send what it returns instead of the properties';
  }
  if (properties.token !== token) return tokenProblem('properties.token');
  if (!isNonEmptyString(properties.distinct_id)) {
    return `properties.distinct_id must be a non-empty string, got ${show(properties.distinct_id)}`;
  }
  const { time } = properties;
  if (time !== undefined && !(typeof time === 'number' && Number.isFinite(time))) {
    return `properties.time must be a finite number of epoch milliseconds, got ${show(time)}`;
  }
  const insertId = properties.$insert_id;
  if (insertId !== undefined && !isNonEmptyString(insertId)) {
    return `properties.$insert_id must be a non-empty string, got ${show(insertId)}`;
  }
  return undefined;
}

function peopleProblem(message: Record<string, unknown>, token: string): string | undefined {
  if (hasToJson(message)) return TO_JSON_IN_META;
  if (message.token !== token) return tokenProblem('token');
  if (!isNonEmptyString(message.distinct_id)) {
    return `distinct_id must be a non-empty string, got ${show(message.distinct_id)}`;
  }
  const operations = PEOPLE_OPERATIONS.filter((name) => message[name] !== undefined);
  if (operations.length !== 1) {
    const found = operations.length === 0 ? 'none' : operations.join(', ');
    return `a profile operation must have exactly one of ${PEOPLE_OPERATIONS.join(', ')}; found ${found}`;
  }
  const operation = operations[0] as (typeof PEOPLE_OPERATIONS)[number];
  // What JSON writes: a model's `toJSON()` (a record from an ORM, say) may well be an object.
  const value = written(message[operation], operation);
  switch (operation) {
    case '$set':
    case '$set_once':
      return isObject(value)
        ? undefined
        : `${operation} must be a plain object, got ${show(value)}`;
    case '$add': {
      if (!isObject(value)) return `$add must be a plain object, got ${show(value)}`;
      for (const [name, amount] of Object.entries(value)) {
        if (amount !== undefined && !(typeof amount === 'number' && Number.isFinite(amount))) {
          return `$add.${name} must be a finite number, got ${show(amount)}`;
        }
      }
      return undefined;
    }
    case '$unset':
      return Array.isArray(value) && value.every((name) => typeof name === 'string')
        ? undefined
        : `$unset must be an array of property names, got ${show(value)}`;
    case '$delete':
      return value === true ? undefined : `$delete must be true, got ${show(value)}`;
  }
}

const TO_JSON_IN_META =
  'meta.toJSON must not be a function: JSON would send what it returns instead of the message';

/**
 * Says why a `token` other than the client's is refused, without showing it: a caller's
 * `token` property is more often a secret of their own (a reset token) than a project token.
 */
function tokenProblem(name: string): string {
  return `${name} must be this client's project token: a "token" property or meta key replaces it, and the server would refuse the whole batch (401) or store the message in another project. Rename the property, or track with a client of the other project's token`;
}

function hasToJson(value: Record<string, unknown>): boolean {
  return typeof value.toJSON === 'function';
}

/** A value as `JSON.stringify` sees it under `key`: the result of its `toJSON()`, if any. */
function written(value: unknown, key: string): unknown {
  const toJson = (value as { toJSON?: unknown } | null | undefined)?.toJSON;
  return typeof toJson === 'function' ? toJson.call(value, key) : value;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** An object JSON writes as an object: not an array, and not a `Date` (written as a string). */
function isObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}

/**
 * A value as an error message shows it: as JSON, but numbers as JS writes them (`NaN`, not
 * JSON's `null`), and never throwing (a `BigInt`, a circular object).
 */
export function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || value === undefined) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // A circular object, a BigInt inside, a throwing toJSON: say what kind of value it is.
    return Object.prototype.toString.call(value);
  }
}
