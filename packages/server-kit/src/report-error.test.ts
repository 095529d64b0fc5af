import { afterEach, describe, expect, it, vi } from 'vitest';
import { reportError, warnOnError } from './report-error.js';

describe('warnOnError', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints one warning line with the message, never a stack trace', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);

    warnOnError(new Error('delivery failed'));
    warnOnError('plain text');

    expect(warn.mock.calls).toEqual([['[cohorly] delivery failed'], ['[cohorly] plain text']]);
  });
});

describe('reportError', () => {
  it('passes the error on, and shields the caller from a handler that throws', () => {
    const seen: unknown[] = [];
    const error = new Error('x');
    reportError((e) => seen.push(e), error);
    expect(seen).toEqual([error]);
    expect(() =>
      reportError(() => {
        throw new Error('handler broke');
      }, error),
    ).not.toThrow();
  });
});
