import { messageOf } from './message-of.js';

/**
 * Turns a message into JSON. The default, {@link jsonSerializer}, is `JSON.stringify`
 * (so `Date` becomes an ISO-8601 string); pass your own to encode other types, such as
 * `BigInt`.
 */
export type Serializer = (message: Record<string, unknown>) => string;

/** `JSON.stringify`: compact, and `Date` values as ISO-8601 strings via `Date#toJSON`. */
export const jsonSerializer: Serializer = (message) => JSON.stringify(message);

// Python's json.dumps escapes every character outside printable ASCII (ensure_ascii=True)
// as \uXXXX with lowercase hex. Doing the same keeps the bytes on the wire identical to the
// Python SDK's. JSON.stringify has already escaped control characters and lone surrogates.
const NON_ASCII = /[\u007f-\uffff]/g;
// Not global, so `test` keeps no state between calls.
const HAS_NON_ASCII = /[\u007f-\uffff]/;

function escapeChar(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `json` with every character outside printable ASCII escaped, as the Python SDK sends it. */
export function escapeNonAscii(json: string): string {
  return HAS_NON_ASCII.test(json) ? json.replace(NON_ASCII, escapeChar) : json;
}

/**
 * Serializes `message` with `serializer`, then escapes non-ASCII characters as the Python
 * SDK does. Throws a `TypeError` that names the method and the offending path when the
 * message cannot be serialized (a `BigInt`, a circular reference, a throwing `toJSON`).
 */
export function serializeMessage(
  message: Record<string, unknown>,
  serializer: Serializer,
  caller: string,
): string {
  let json: unknown;
  try {
    json = serializer(message);
  } catch (error) {
    throw new TypeError(`${caller}: ${describeUnserializable(message, error)}`, { cause: error });
  }
  if (typeof json !== 'string') {
    throw new TypeError(`${caller}: the serializer returned ${typeof json}, not a JSON string`);
  }
  return escapeNonAscii(json);
}

/** A value already written as JSON, for {@link layeredJson}. */
export class RawJson {
  constructor(readonly json: string) {}
}

const INDEX_KEY = /^(?:0|[1-9]\d*)$/;

/** True when `object` has an array-index key (`"0"`, `"2024"`), which any JS object lists first. */
export function hasIndexKey(object: object | undefined): boolean {
  if (object === undefined) return false;
  // Own enumerable keys come in this order: array indices first, so the first one decides.
  for (const key in object) return Object.hasOwn(object, key) && INDEX_KEY.test(key);
  return false;
}

/**
 * The JSON of `Object.assign({}, ...layers)` in the key order of Python's dict built with
 * `update` after `update`: each key where it first appeared, with its last value. A JS object
 * lists array-index keys before all others, so merging a caller's `{"2024": 1}` over the
 * stamped properties would move it before `token`; the Python SDK keeps it after them.
 * Values are written by `JSON.stringify` (a {@link RawJson} as it is); keys whose value
 * `JSON.stringify` leaves out (`undefined`, functions) are left out, as it does.
 */
export function layeredJson(layers: ReadonlyArray<Record<string, unknown> | undefined>): string {
  const merged = new Map<string, unknown>();
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const key of Object.keys(layer)) merged.set(key, layer[key]);
  }
  let json = '';
  for (const [key, value] of merged) {
    const text = value instanceof RawJson ? value.json : JSON.stringify(value);
    if (text === undefined) continue;
    json += `${json === '' ? '' : ','}${JSON.stringify(key)}:${text}`;
  }
  return `{${json}}`;
}

/** How many event names a client keeps the JSON head of; past that it starts over. */
const MAX_CACHED_EVENTS = 256;

/**
 * The parts of an event's JSON that are the same for every event of one client (and event
 * name): everything before the distinct id, and the `$lib` pairs after the insert id.
 */
export class EventFrame {
  private readonly heads = new Map<string, string>();
  /** `,"properties":{"token":<token>,"distinct_id":`, which follows the event name. */
  private readonly afterEvent: string;
  /** `","$lib":"node","$lib_version":"x.y.z"`, closing the insert id's quotes first. */
  readonly tail: string;

  constructor(token: string, lib: string, libVersion: string) {
    this.afterEvent = escapeNonAscii(
      `,"properties":{"token":${JSON.stringify(token)},"distinct_id":`,
    );
    this.tail = escapeNonAscii(
      `","$lib":${JSON.stringify(lib)},"$lib_version":${JSON.stringify(libVersion)}`,
    );
  }

  /** `{"event":<event>,"properties":{"token":<token>,"distinct_id":`, escaped. */
  head(event: string): string {
    let head = this.heads.get(event);
    if (head === undefined) {
      head = `{"event":${escapeNonAscii(JSON.stringify(event))}${this.afterEvent}`;
      if (this.heads.size >= MAX_CACHED_EVENTS) this.heads.clear();
      this.heads.set(event, head);
    }
    return head;
  }
}

/**
 * The JSON of `{event, properties: {token, distinct_id, time, $insert_id, $lib, $lib_version,
 * ...properties}}` as `JSON.stringify` writes it (then escaped), built as text instead of
 * through a merged copy of the properties: a fraction of the general path's work and
 * garbage, on the call every application makes most. Returns `undefined` whenever the text
 * could differ from the general path's (a caller's property that replaces a stamped one in
 * place, an array-index key, which any object lists first, any `toJSON` key, own or
 * inherited, a value `JSON.stringify` rejects): the caller then takes the general path.
 */
export function eventJson(
  frame: EventFrame,
  event: string,
  distinctId: string,
  time: number,
  insertId: string,
  properties: Record<string, unknown> | undefined,
): string | undefined {
  let rest = '}';
  if (properties !== undefined) {
    if (
      Object.hasOwn(properties, 'token') ||
      Object.hasOwn(properties, 'distinct_id') ||
      Object.hasOwn(properties, 'time') ||
      Object.hasOwn(properties, '$insert_id') ||
      Object.hasOwn(properties, '$lib') ||
      Object.hasOwn(properties, '$lib_version') ||
      // Not read: a getter could answer "none" here and a function to JSON.stringify, which
      // would then write what it returns (a second token or distinct_id) after the stamps.
      'toJSON' in properties
    ) {
      return undefined;
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(properties);
    } catch {
      return undefined;
    }
    if (typeof json !== 'string' || json.charCodeAt(0) !== 0x7b /* { */) return undefined;
    if (json.length > 2) {
      // `{"0":…`: an array-index key, which the merged object would list before `token`.
      const first = json.charCodeAt(2);
      if (first >= 0x30 && first <= 0x39) return undefined;
      rest = `,${escapeNonAscii(json.slice(1))}`;
    }
  }
  const id = escapeNonAscii(JSON.stringify(distinctId));
  return `${frame.head(event)}${id},"time":${time},"$insert_id":"${insertId}${frame.tail}${rest}}`;
}

// How deep the search for what made serialization fail goes. JSON.stringify itself gives up
// (its stack ends) some thousands of levels down; a search with no limit would end the same
// way, throwing a RangeError that names neither Cohorly nor the message.
const MAX_SEARCH_DEPTH = 1000;
// How much of the path where the search stopped an error shows.
const MAX_PATH_CHARS = 80;

/** Where the search stopped for depth, if it did. */
interface Search {
  tooDeep: string | undefined;
}

/**
 * Finds what made serialization fail, so the error can say where. Runs only on failure, and
 * never throws: if the search itself fails, the serializer's error is the reason.
 */
function describeUnserializable(message: Record<string, unknown>, error: unknown): string {
  const search: Search = { tooDeep: undefined };
  try {
    const found = findUnserializable(message, '', new Set(), 0, search);
    if (found) return `${found} cannot be serialized to JSON`;
  } catch {
    // A Proxy's trap that throws, or a stack already near its end: the error says why.
  }
  const deep =
    search.tooDeep === undefined
      ? ''
      : `; ${shorten(search.tooDeep)} is nested more than ${MAX_SEARCH_DEPTH} levels deep`;
  return `the message cannot be serialized to JSON (${messageOf(error)}${deep})`;
}

/** `path`'s first segments, up to about {@link MAX_PATH_CHARS} characters. */
function shorten(path: string): string {
  if (path.length <= MAX_PATH_CHARS) return path;
  // Cut before a segment, so that no key is shown cut.
  const end = Math.max(
    path.lastIndexOf('.', MAX_PATH_CHARS),
    path.lastIndexOf('[', MAX_PATH_CHARS),
  );
  return `${path.slice(0, end > 0 ? end : MAX_PATH_CHARS)}...`;
}

function findUnserializable(
  value: unknown,
  path: string,
  ancestors: Set<object>,
  depth: number,
  search: Search,
): string | null {
  const where = path || 'the message';
  if (typeof value === 'bigint') {
    return `${where} is a BigInt, which`;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (ancestors.has(value)) return `${where} is a circular reference, which`;
  let toJSON: unknown;
  try {
    toJSON = (value as { toJSON?: unknown }).toJSON;
  } catch (error) {
    return `${where}.toJSON throws when read (${messageOf(error)}), so it`;
  }
  if (typeof toJSON === 'function') {
    try {
      toJSON.call(value, '');
    } catch {
      return `${where}.toJSON() throws, so it`;
    }
    return null;
  }
  if (depth >= MAX_SEARCH_DEPTH) {
    search.tooDeep ??= where;
    return null;
  }
  ancestors.add(value);
  try {
    for (const key of Object.keys(value)) {
      const childPath = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      let child: unknown;
      try {
        child = (value as Record<string, unknown>)[key];
      } catch (error) {
        // A getter that throws (a lazy field of an ORM record, say): JSON.stringify reads it too.
        return `${childPath} throws when read (${messageOf(error)}), so it`;
      }
      const found = findUnserializable(child, childPath, ancestors, depth + 1, search);
      if (found) return found;
    }
  } finally {
    ancestors.delete(value);
  }
  return null;
}
