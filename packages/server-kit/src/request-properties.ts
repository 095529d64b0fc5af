import type { Properties } from '@cohorly/core';
import {
  describeValue,
  ignoreRejection,
  isPlainObject,
  isThenable,
  callbackThrew,
} from './describe-value.js';
import { type ErrorHandler, reportError, warnOnError } from './report-error.js';
import type { RequestAccessor } from './request-accessor.js';

/**
 * What an integration adds to each event from the request. Nothing personal is sent unless
 * you ask for it.
 */
export interface CaptureOptions {
  /**
   * Send the request path as `$path`. Query strings are left out unless `query` is true:
   * they often carry emails, tokens or search terms.
   * @default true
   */
  path?: boolean;
  /**
   * Keep the query string in `$path`.
   * @default false
   */
  query?: boolean;
  /**
   * Send the client IP as `ip`, as the framework resolves it (Express honours its
   * `trust proxy` setting; without it, a proxy's address is what you get).
   * @default false
   */
  ip?: boolean;
  /**
   * Send the `User-Agent` header as `$user_agent`.
   * @default false
   */
  userAgent?: boolean;
}

/** Properties merged into every event of a request. */
export interface RequestPropertiesOptions<Req> {
  /** What to capture from the request itself. */
  capture?: CaptureOptions;
  /**
   * Extra properties for every event of a request (a tenant, a plan, an experiment), returned
   * synchronously. Event properties win over them. The keys the SDK sets on each event
   * (`token`, `distinct_id`, `time`, `$insert_id`, `$lib`, `$lib_version`) are left out, and
   * `onError` says so, once: pass `{ distinctId }` to `track()` to send an event to another user.
   * @default none
   */
  superProperties?: (req: Req) => Properties | undefined;
}

/**
 * Why a key `superProperties(req)` returns is left out: the keys the SDK stamps on each event.
 * Per-call `track()` properties may still set `time` or `$insert_id` for one event; returned
 * for every event of a request, they would misfile all of them.
 */
const STAMPED_KEYS: Readonly<Record<string, string>> = {
  token: "which would replace the project's token",
  distinct_id:
    "which would replace the event's user, even one tracked with an explicit { distinctId }",
  time: 'which would replace the time each event happened',
  $insert_id:
    'which would give every event of the request the same insert id, so the server would keep only one of them',
  $lib: "which would replace the SDK's name",
  $lib_version: "which would replace the SDK's version",
};
const STAMPED_KEY_NAMES = Object.keys(STAMPED_KEYS);

/**
 * The stamped key sets already reported, per `onError` (one per integration: each is told
 * once, even when integrations share a `superProperties` function). Returning them is a
 * configuration mistake that repeats on every request and loses nothing, so it is said once:
 * a warning per request would flood the logs of a busy app.
 */
const reportedStampedKeys = new WeakMap<object, Set<string>>();

/**
 * The properties a request adds to its events, per the options. Throws, naming
 * `superProperties(req)`, when it throws or returns something other than a plain object (a
 * Promise, say): the caller does not send the event, and reports why. The keys the SDK stamps
 * on each event are left out of what `superProperties(req)` returns, and reported to `onError`
 * (prefixed with `caller`), without stopping the event: once per `onError` and
 * set of keys.
 */
export function requestProperties<Req>(
  req: Req,
  accessor: RequestAccessor<Req>,
  options: RequestPropertiesOptions<Req>,
  onError: ErrorHandler = warnOnError,
  caller?: string,
): Record<string, unknown> {
  const capture = options.capture ?? {};
  const props: Record<string, unknown> = {};
  if (capture.path !== false) {
    const url = accessor.url(req);
    if (url) props.$path = capture.query ? url : url.split('?', 1)[0];
  }
  if (capture.ip) {
    const ip = accessor.ip(req);
    if (ip) props.ip = ip;
  }
  if (capture.userAgent) {
    const userAgent = accessor.header(req, 'user-agent');
    if (userAgent) props.$user_agent = userAgent;
  }
  if (!options.superProperties) return props;
  let extra: unknown;
  try {
    extra = options.superProperties(req);
  } catch (error) {
    throw callbackThrew('superProperties(req)', error);
  }
  if (extra === undefined || extra === null) return props;
  // Spread as it is, a Promise (from an async superProperties) or a Map would add nothing,
  // and a string or an array {"0": …}, all without a word.
  if (isThenable(extra)) {
    ignoreRejection(extra);
    throw new TypeError(
      'superProperties(req) returned a Promise: superProperties must return its properties synchronously (read them from req, set by a middleware that runs before this one)',
    );
  }
  if (!isPlainObject(extra)) {
    throw new TypeError(
      `superProperties(req) must return a plain object, got ${describeValue(extra)}`,
    );
  }
  const merged = { ...props, ...extra };
  // Usually a few keys and none stamped: six lookups, and nothing allocated.
  let stamped: string[] | undefined;
  for (const key of STAMPED_KEY_NAMES) {
    if (!Object.hasOwn(extra, key)) continue;
    stamped ??= [];
    stamped.push(key);
  }
  if (stamped === undefined) return merged;
  for (const key of stamped) delete merged[key];
  const keys = stamped.join(',');
  let reported = reportedStampedKeys.get(onError);
  if (reported?.has(keys)) return merged;
  if (reported === undefined) {
    reported = new Set();
    reportedStampedKeys.set(onError, reported);
  }
  reported.add(keys);
  const why = stamped.map((key) => `${key}, ${STAMPED_KEYS[key]}`).join('; ');
  const prefix = caller === undefined ? '' : `${caller}: `;
  reportError(
    onError,
    new Error(
      `${prefix}superProperties(req) returned ${why}; left out of this event and every later one (the SDK sets ${stamped.length === 1 ? 'it' : 'them'} itself); said once`,
    ),
  );
  return merged;
}
