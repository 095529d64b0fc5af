import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from 2 s and caps at 600 s', () => {
    const delays = Array.from({ length: 12 }, (_, i) => backoffDelay(i + 1, undefined, () => 0));
    expect(delays).toEqual([
      2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 512000, 600000, 600000, 600000,
    ]);
  });

  it('keeps jittered delays within ±20% and under the cap', () => {
    for (let failures = 1; failures <= 12; failures++) {
      const base = Math.min(2000 * 2 ** (failures - 1), 600_000);
      for (const jitter of [-0.2, -0.1, 0, 0.1, 0.2, () => Math.random() * 0.4 - 0.2]) {
        const delay = backoffDelay(
          failures,
          undefined,
          typeof jitter === 'function' ? jitter : () => jitter,
        );
        expect(delay).toBeGreaterThanOrEqual(base * 0.8);
        expect(delay).toBeLessThanOrEqual(Math.min(base * 1.2, 600_000));
      }
    }
  });

  it('lets Retry-After replace the delay, capped at 600 s', () => {
    expect(backoffDelay(5, 1500, () => 0.2)).toBe(1500);
    expect(backoffDelay(1, 3_600_000, () => 0)).toBe(600_000);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['3', 3000],
    [' 2.5 ', 2500],
    ['0', 0],
    ['-1', 0],
    ['', undefined],
    [null, undefined],
    ['Wed, 21 Oct 2015 07:28:00 GMT', undefined],
  ])('%j gives %j ms', (header, expected) => {
    expect(parseRetryAfter(header)).toBe(expected);
  });
});
