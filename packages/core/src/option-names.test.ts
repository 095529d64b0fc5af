import { describe, expect, it } from 'vitest';
import { closestOption } from './option-names.js';

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

  it('finds none for a key that is no near miss', () => {
    expect(closestOption('host', KNOWN)).toBeUndefined();
    expect(closestOption('retries', KNOWN)).toBeUndefined();
    expect(closestOption('apiHost', [])).toBeUndefined();
  });
});
