import { describeValue, isPlainObject } from './describe-value.js';
import type { AnonymousIdSource } from './identity.js';
import type { IntegrationOptions } from './integration.js';
import type { CaptureOptions } from './request-properties.js';
import { CLIENT_OPTION_NAMES, type ClientOptions } from './resolve-client.js';

/** The options of an integration beyond the client's: a key added there must be added here. */
const INTEGRATION_OPTIONS: Record<
  Exclude<keyof IntegrationOptions<never>, keyof ClientOptions>,
  true
> = {
  identify: true,
  anonymousId: true,
  capture: true,
  superProperties: true,
  ignore: true,
  flush: true,
  onError: true,
};
/** The names of every integration option, for `reportUnknownOptions`. */
export const INTEGRATION_OPTION_NAMES: readonly string[] = [
  ...CLIENT_OPTION_NAMES,
  ...Object.keys(INTEGRATION_OPTIONS),
];

/** The options that must be functions when given. */
const FUNCTION_OPTIONS = ['identify', 'ignore', 'superProperties', 'onError'] as const;

// Records rather than arrays: a key added to CaptureOptions or AnonymousIdSource without
// being added here fails to compile, instead of being refused at startup.
/** The keys of `capture`, all booleans. */
const CAPTURE_KEYS: Record<keyof CaptureOptions, true> = {
  path: true,
  query: true,
  ip: true,
  userAgent: true,
};
/** The keys of `anonymousId`, with the default each one stands for. */
const ANONYMOUS_ID_KEYS: Record<keyof AnonymousIdSource, string> = {
  header: 'x-cohorly-anonymous-id',
  cookie: 'cohorly_anonymous_id',
};

/**
 * A header name (RFC 7230 `token`), which is also what a cookie name is (RFC 6265). A regex
 * rather than `node:http`'s `validateHeaderName`: this entry point also runs on edge runtimes.
 */
const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** What a header or cookie name may be made of, as error messages say it. */
export const NAME_CHARACTERS = "letters, digits and !#$%&'*+-.^_`|~, no spaces";

/** True for a string a request can carry as a header or cookie name. */
export function isHeaderName(value: unknown): value is string {
  return typeof value === 'string' && NAME.test(value);
}

/**
 * Throws a `TypeError` at startup, naming the integration and the option, for an option of
 * the wrong type. Found only when the first event is tracked, such a mistake would drop
 * every event of every request (and a non-function `onError` would hide why); in `capture`
 * and `anonymousId`, it would send or read something else than asked, without a word.
 */
export function checkIntegrationOptions(options: IntegrationOptions<never>, name: string): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${name}: options must be an object, got ${String(options)}`);
  }
  for (const option of FUNCTION_OPTIONS) {
    const value = options[option];
    if (value !== undefined && typeof value !== 'function') {
      throw new TypeError(`${name}: ${option} must be a function, got ${describeValue(value)}`);
    }
  }
  checkCapture(options.capture, name);
  checkAnonymousId(options.anonymousId, name);
}

/**
 * `capture` decides what personal data leaves the server, so only `true` and `false` will
 * do: read as truthy, `{ ip: 'false' }` (a string from the environment) would send the IP,
 * and a misspelt key (`user_agent`) would be ignored. `undefined` is the default, as the
 * optional properties allow. `keys` are the flags the integration has (Next.js has no path).
 */
export function checkCapture(
  capture: unknown,
  name: string,
  keys: readonly string[] = Object.keys(CAPTURE_KEYS),
): void {
  if (capture === undefined) return;
  if (!isPlainObject(capture)) {
    throw new TypeError(
      `${name}: capture must be an object such as { ip: true }, got ${describeValue(capture)}`,
    );
  }
  for (const [key, value] of Object.entries(capture)) {
    if (!keys.includes(key)) {
      throw new TypeError(
        `${name}: capture.${key} is not an option (got ${describeValue(value)}); capture takes ${keys.join(', ')}`,
      );
    }
    if (value !== undefined && typeof value !== 'boolean') {
      throw new TypeError(
        `${name}: capture.${key} must be true or false, got ${describeValue(value)}`,
      );
    }
  }
}

/**
 * An empty name would turn its source off without a word, one with spaces would never match
 * a request, and a number would fail every event when it is read.
 */
function checkAnonymousId(anonymousId: unknown, name: string): void {
  if (anonymousId === undefined || anonymousId === false) return;
  if (!isPlainObject(anonymousId)) {
    throw new TypeError(
      `${name}: anonymousId must be { header?, cookie? } or false, got ${describeValue(anonymousId)}`,
    );
  }
  for (const [key, value] of Object.entries(anonymousId)) {
    if (!Object.hasOwn(ANONYMOUS_ID_KEYS, key)) {
      throw new TypeError(
        `${name}: anonymousId.${key} is not an option (got ${describeValue(value)}); anonymousId takes ${Object.keys(ANONYMOUS_ID_KEYS).join(', ')}`,
      );
    }
    if (value !== undefined && !isHeaderName(value)) {
      const example = ANONYMOUS_ID_KEYS[key as keyof AnonymousIdSource];
      throw new TypeError(
        `${name}: anonymousId.${key} must be a ${key} name such as "${example}" (${NAME_CHARACTERS}), got ${describeValue(value)}`,
      );
    }
  }
}
