import { callbackThrew, describeValue, ignoreRejection, isThenable } from './describe-value.js';
import type { RequestAccessor } from './request-accessor.js';

/** Where an anonymous visitor's id is read from. */
export interface AnonymousIdSource {
  /**
   * A request header carrying the anonymous id (sent by your front end).
   * @default "x-cohorly-anonymous-id"
   */
  header?: string;
  /**
   * A cookie carrying the anonymous id.
   * @default "cohorly_anonymous_id"
   */
  cookie?: string;
}

/** How a request's user is found. */
export interface IdentityOptions<Req> {
  /**
   * Returns the signed-in user's distinct id, or nothing for an anonymous request,
   * synchronously (not from an `async` function). It is called when an event is tracked, not
   * when the middleware runs, so an auth middleware mounted after Cohorly's still counts.
   * @default none
   */
  identify?: (req: Req) => string | number | null | undefined;
  /**
   * Where to read an anonymous visitor's id when `identify` finds no user; `false` to never
   * read one. With no id at all, an event is not sent and `onError` says why.
   * @default { header: "x-cohorly-anonymous-id", cookie: "cohorly_anonymous_id" }
   */
  anonymousId?: AnonymousIdSource | false;
}

const DEFAULT_HEADER = 'x-cohorly-anonymous-id';
const DEFAULT_COOKIE = 'cohorly_anonymous_id';

/**
 * The distinct id of a request: an explicit id, else `identify(req)`, else the anonymous id
 * from the configured header or cookie, else `undefined`. Throws a `TypeError` when
 * `identify(req)` returns something that is no id (an object, a Promise, `NaN`, a boolean),
 * and an error naming `identify(req)` (with the thrown error as its `cause`) when it throws.
 */
export function resolveDistinctId<Req>(
  req: Req,
  accessor: RequestAccessor<Req>,
  options: IdentityOptions<Req>,
  explicit?: string,
): string | undefined {
  if (explicit) return explicit;
  let user: unknown;
  try {
    user = options.identify?.(req);
  } catch (error) {
    throw callbackThrew('identify(req)', error);
  }
  if (user === undefined || user === null || user === '') {
    return anonymousIdOf(req, accessor, options.anonymousId);
  }
  if (typeof user === 'string') return user;
  if (typeof user === 'number' && Number.isFinite(user)) {
    return idOfNumber(user, 'identify(req) returned');
  }
  // An async identify (a session lookup) returns a Promise every time: no event would ever
  // be sent, and "got an object" would not say why.
  if (isThenable(user)) {
    ignoreRejection(user);
    throw new TypeError(
      'identify(req) returned a Promise: it must return the id synchronously, e.g. from req.user set by your auth middleware',
    );
  }
  // String() would make every user of an object-returning identify "[object Object]": one
  // user for the whole app.
  const got = typeof user === 'object' ? 'an object' : describeValue(user);
  throw new TypeError(
    `identify(req) must return a string or a number (or nothing for no user), got ${got}`,
  );
}

/**
 * A numeric user id (a database key) as a distinct id. Only a safe integer has one exact
 * text: past 2^53 a number has lost digits already, and two users would share an id.
 */
export function idOfNumber(id: number, what: string): string {
  if (Number.isSafeInteger(id)) return String(id);
  throw new TypeError(
    `${what} ${String(id)}, which is no whole number JavaScript holds exactly (ids past 2^53 lose digits, so users would share one): pass the id as a string`,
  );
}

/**
 * The anonymous id a request carries, if any: the header's value, else the first non-empty
 * value of the cookie.
 */
export function anonymousIdOf<Req>(
  req: Req,
  accessor: RequestAccessor<Req>,
  source: AnonymousIdSource | false | undefined,
): string | undefined {
  if (source === false) return undefined;
  const fromHeader = accessor.header(req, source?.header ?? DEFAULT_HEADER);
  if (fromHeader) return fromHeader;
  const cookieHeader = accessor.header(req, 'cookie');
  if (!cookieHeader) return undefined;
  return cookieValue(cookieHeader, source?.cookie ?? DEFAULT_COOKIE);
}

/**
 * The first non-empty value of the cookie `name` in a `Cookie` header, percent-decoded (kept
 * as sent when it is no valid percent-encoding), or `undefined`. It reads a header as the
 * `cookie` package does (pairs split at `;`, spaces and tabs around names and values dropped,
 * pairs without `=` skipped, quotes kept), but decodes only the value it returns: decoding
 * every cookie, as a full parse does, let a client send a thousand undecodable cookies and
 * make each tracked event cost milliseconds of CPU in the failed decodes.
 *
 * Empty values are skipped because a cookie cleared at one path (`name=`) comes before the
 * one still set at another, and would otherwise hide the visitor's id.
 */
function cookieValue(header: string, name: string): string | undefined {
  let start = 0;
  while (start < header.length) {
    const semicolon = header.indexOf(';', start);
    const end = semicolon === -1 ? header.length : semicolon;
    const equals = header.indexOf('=', start);
    if (equals !== -1 && equals < end && trimmed(header, start, equals) === name) {
      const value = trimmed(header, equals + 1, end);
      if (value !== '') return decodeCookieValue(value);
    }
    start = end + 1;
  }
  return undefined;
}

/** `header.slice(start, end)` without the spaces and tabs around it. */
function trimmed(header: string, start: number, end: number): string {
  let from = start;
  let to = end;
  while (from < to && isBlank(header.charCodeAt(from))) from += 1;
  while (to > from && isBlank(header.charCodeAt(to - 1))) to -= 1;
  return header.slice(from, to);
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function decodeCookieValue(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
