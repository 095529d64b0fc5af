import { describeValue, isPlainObject } from './describe-value.js';
import type { IntegrationOptions } from './integration.js';

/** The options that must be functions when given. */
const FUNCTION_OPTIONS = ['identify', 'ignore', 'superProperties', 'onError'] as const;

/**
 * Throws a `TypeError` at startup, naming the integration and the option, for an option of
 * the wrong type. Found only when the first event is tracked, such a mistake would drop
 * every event of every request (and a non-function `onError` would hide why).
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
  const { capture, anonymousId } = options;
  if (capture !== undefined && !isPlainObject(capture)) {
    throw new TypeError(
      `${name}: capture must be an object such as { ip: true }, got ${describeValue(capture)}`,
    );
  }
  if (anonymousId !== undefined && anonymousId !== false && !isPlainObject(anonymousId)) {
    throw new TypeError(
      `${name}: anonymousId must be { header?, cookie? } or false, got ${describeValue(anonymousId)}`,
    );
  }
}
