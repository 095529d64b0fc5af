import { describe, expect, it } from 'vitest';
import { describeValue, isPlainObject, isThenable } from './describe-value.js';

/** An object `await` would wait for, that is no Promise (built so, for the linter's sake). */
const withThen = <T extends object>(target: T, then: unknown = () => undefined): T =>
  Object.defineProperty(target, 'then', { value: then, enumerable: true });

class Order {
  constructor(readonly total: number) {}
}

describe('isPlainObject', () => {
  it('accepts objects, with no prototype or a class instance', () => {
    expect(isPlainObject({ plan: 'pro' })).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    // Sent as its own fields, as before: refusing it would drop events that are sent today.
    expect(isPlainObject(new Order(9))).toBe(true);
  });

  it('refuses what a spread would turn into nothing or {"0": …}', () => {
    for (const value of [
      null,
      undefined,
      'x',
      1,
      [1],
      Promise.resolve({}),
      withThen({}),
      new Map(),
      new Set(),
    ]) {
      expect(isPlainObject(value)).toBe(false);
    }
  });
});

describe('isThenable', () => {
  it('is true for what await would wait for', () => {
    expect(isThenable(Promise.resolve())).toBe(true);
    expect(isThenable(withThen({}))).toBe(true);
    expect(isThenable(withThen(() => undefined))).toBe(true);
    expect(isThenable(withThen({}, 'no'))).toBe(false);
    expect(isThenable(undefined)).toBe(false);
  });
});

describe('describeValue', () => {
  it('names what String() would show as "[object …]"', () => {
    expect(describeValue('x')).toBe('"x"');
    expect(describeValue([1])).toBe('an array');
    expect(describeValue(Promise.resolve())).toBe('a Promise');
    expect(describeValue(new Map())).toBe('a Map');
    expect(describeValue(new Set())).toBe('a Set');
    expect(describeValue(42)).toBe('42');
    expect(describeValue({})).toBe('[object Object]');
  });
});
