import { isPlainObject } from './plain-object.js';

/**
 * True when `actual` contains `expected`: objects match on the keys `expected` lists
 * (recursively), arrays match element by element with the same length, anything else
 * with `Object.is`.
 */
export function matchesPartial(actual: unknown, expected: unknown): boolean {
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return false;
    return Object.entries(expected).every(
      ([key, value]) => Object.hasOwn(actual, key) && matchesPartial(actual[key], value),
    );
  }
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((value, index) => matchesPartial(actual[index], value))
    );
  }
  return Object.is(actual, expected);
}
