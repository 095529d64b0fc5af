import { messageOf } from '@cohorly/core';

/**
 * A value as an error message shows it: `"x"` for a string, `an array`, `a Promise` (any
 * thenable), `a Map`, `a Set`, else `String()`.
 */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (isThenable(value)) return 'a Promise';
  if (value instanceof Map) return 'a Map';
  if (value instanceof Set) return 'a Set';
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return String(value);
  } catch {
    // An object with no prototype has no toString: String() throws on it.
    return 'an object that cannot be shown as text';
  }
}

// One definition for core and the integrations: an error's message, never throwing.
export { messageOf };

/**
 * The error for a user's callback that threw: `identify(req) threw: <its message><then>`,
 * with what it threw as the `cause`. Its own message alone (`Cannot read properties of
 * undefined (reading 'id')`) would not say which option it came from.
 */
export function callbackThrew(callback: string, error: unknown, then = ''): Error {
  return new Error(`${callback} threw: ${messageOf(error)}${then}`, { cause: error });
}

/**
 * An object that is not an array, a Promise (any thenable), a Map or a Set (nor `null`): what
 * options and properties must be. Those four would be spread as `{}` or `{"0": …}`, so an
 * `async` callback's properties, say, would be lost without a word. Other objects, class
 * instances included, are accepted as they always were: their own fields are what is sent.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !isThenable(value) &&
    !(value instanceof Map) &&
    !(value instanceof Set)
  );
}

/** What `await` would wait for: an object or a function with a callable `then`. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    ((typeof value === 'object' && value !== null) || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Marks a Promise a callback returned by mistake as handled: its rejection (an `async`
 * `identify` whose session store is down) would otherwise be an unhandled rejection, which
 * ends a Node process. The mistake itself is reported by the caller.
 */
export function ignoreRejection(value: PromiseLike<unknown>): void {
  try {
    value.then(undefined, () => undefined);
  } catch {
    // A thenable whose then() throws has nothing left to handle.
  }
}
