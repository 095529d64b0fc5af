import { describe, expect, it } from 'vitest';
import { closestOption, isOffSwitch } from './option-names.js';

const KNOWN = ['apiHost', 'maxSize', 'flushIntervalMs', 'onError'];

describe('closestOption', () => {
  it('finds the option a key misspells: case, separators, or up to two edits', () => {
    expect(closestOption('apihost', KNOWN)).toBe('apiHost');
    expect(closestOption('api_host', KNOWN)).toBe('apiHost');
    expect(closestOption('MAX-SIZE', KNOWN)).toBe('maxSize');
    expect(closestOption('maxSise', KNOWN)).toBe('maxSize');
    expect(closestOption('flushInterval', KNOWN)).toBe('flushIntervalMs');
    expect(closestOption('onErorr', KNOWN)).toBe('onError');
  });

  it("finds ours for another SDK's name: host, flushAt, flushInterval", () => {
    expect(closestOption('host', KNOWN)).toBe('apiHost');
    expect(closestOption('flushAt', KNOWN)).toBe('maxSize');
    expect(closestOption('userId', ['distinctId'])).toBe('distinctId');
    expect(closestOption('user_id', ['distinctId'])).toBe('distinctId');
    expect(closestOption('host', ['maxSize'])).toBeUndefined();
    // Only the table's own keys: an inherited name is no other SDK's.
    expect(closestOption('constructor', KNOWN)).toBeUndefined();
  });

  it('finds none for a key that is no near miss', () => {
    expect(closestOption('retries', KNOWN)).toBeUndefined();
    expect(closestOption('apiHost', [])).toBeUndefined();
  });
});

describe('isOffSwitch', () => {
  it("knows the other SDKs' switches that turn tracking off", () => {
    for (const key of ['disabled', 'disable', 'enabled', 'enable'])
      expect(isOffSwitch(key)).toBe(true);
    expect(isOffSwitch('debug')).toBe(false);
  });
});
