import { describe, expect, it } from 'vitest';
import { plainAccessor, plainRequest } from '../test/plain-request.js';
import { anonymousIdOf, resolveDistinctId } from './identity.js';

const everything = plainRequest({
  user: 'user-1',
  headers: { 'x-cohorly-anonymous-id': 'anon-header', cookie: 'cohorly_anonymous_id=anon-cookie' },
});
const identify = (req: { user?: string }) => req.user;

describe('resolveDistinctId', () => {
  it('prefers an explicit id, then identify(req), then the header, then the cookie', () => {
    expect(resolveDistinctId(everything, plainAccessor, { identify }, 'explicit')).toBe('explicit');
    expect(resolveDistinctId(everything, plainAccessor, { identify })).toBe('user-1');
    expect(resolveDistinctId({ ...everything, user: undefined }, plainAccessor, { identify })).toBe(
      'anon-header',
    );
    const cookieOnly = plainRequest({ headers: { cookie: everything.headers.cookie! } });
    expect(resolveDistinctId(cookieOnly, plainAccessor, { identify })).toBe('anon-cookie');
  });

  it('returns undefined when the request has no identity at all', () => {
    expect(resolveDistinctId(plainRequest(), plainAccessor, { identify })).toBeUndefined();
    expect(resolveDistinctId(plainRequest(), plainAccessor, {})).toBeUndefined();
  });

  it('calls identify(req) at every resolution, so a user set later is seen', () => {
    const req = plainRequest();
    expect(resolveDistinctId(req, plainAccessor, { identify, anonymousId: false })).toBeUndefined();
    req.user = 'signed-in-later';
    expect(resolveDistinctId(req, plainAccessor, { identify, anonymousId: false })).toBe(
      'signed-in-later',
    );
  });

  it('turns a numeric user id into a string, and skips empty ones', () => {
    const anon = plainRequest({ headers: { 'x-cohorly-anonymous-id': 'anon' } });
    expect(resolveDistinctId(anon, plainAccessor, { identify: () => 42 })).toBe('42');
    expect(resolveDistinctId(anon, plainAccessor, { identify: () => 0 })).toBe('0');
    expect(resolveDistinctId(anon, plainAccessor, { identify: () => '' })).toBe('anon');
    expect(resolveDistinctId(anon, plainAccessor, { identify: () => null })).toBe('anon');
    expect(resolveDistinctId(anon, plainAccessor, { identify }, '')).toBe('anon');
  });

  it('refuses a numeric id past 2^53, which has lost digits (two users would share it)', () => {
    const req = plainRequest();
    // A BIGINT primary key read as a JS number: it no longer ends in 890.
    const key = Number('12345678901234567890');
    expect(() => resolveDistinctId(req, plainAccessor, { identify: () => key })).toThrow(
      new TypeError(
        'identify(req) returned 12345678901234567000, which is no whole number JavaScript holds exactly (ids past 2^53 lose digits, so users would share one): pass the id as a string',
      ),
    );
    expect(resolveDistinctId(req, plainAccessor, { identify: () => 2 ** 53 - 1 })).toBe(
      '9007199254740991',
    );
  });

  it('names a Promise from an async identify(req), instead of "got an object"', () => {
    const message =
      'identify(req) returned a Promise: it must return the id synchronously, e.g. from req.user set by your auth middleware';
    const asyncIdentify = async (req: { user?: string }) => req.user;
    expect(() =>
      resolveDistinctId(everything, plainAccessor, { identify: asyncIdentify as never }),
    ).toThrow(new TypeError(message));
    // Any thenable, not only a native Promise.
    const thenable = Object.defineProperty({}, 'then', { value: () => undefined });
    expect(() =>
      resolveDistinctId(everything, plainAccessor, { identify: () => thenable as never }),
    ).toThrow(message);
    // An explicit id never asks identify(req).
    expect(
      resolveDistinctId(
        everything,
        plainAccessor,
        { identify: asyncIdentify as never },
        'explicit',
      ),
    ).toBe('explicit');
  });

  it('names identify(req) when it throws, keeping its error as the cause', () => {
    const failure = new TypeError("Cannot read properties of undefined (reading 'id')");
    const throwing = () => {
      throw failure;
    };
    let thrown: unknown;
    try {
      resolveDistinctId(everything, plainAccessor, { identify: throwing });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toEqual(
      new Error("identify(req) threw: Cannot read properties of undefined (reading 'id')"),
    );
    expect((thrown as Error).cause).toBe(failure);
  });

  it('never reads an anonymous id with anonymousId: false', () => {
    expect(
      resolveDistinctId({ ...everything, user: undefined }, plainAccessor, { anonymousId: false }),
    ).toBeUndefined();
  });
});

describe('anonymousIdOf', () => {
  it('reads the configured header and cookie names', () => {
    const source = { header: 'X-Visitor', cookie: 'vid' };
    expect(
      anonymousIdOf(plainRequest({ headers: { 'x-visitor': 'v1' } }), plainAccessor, source),
    ).toBe('v1');
    expect(
      anonymousIdOf(
        plainRequest({ headers: { cookie: 'other=1; vid=v2' } }),
        plainAccessor,
        source,
      ),
    ).toBe('v2');
    // The default names no longer count.
    expect(anonymousIdOf(everything, plainAccessor, source)).toBeUndefined();
  });

  it('keeps the default cookie when only the header is configured', () => {
    const req = plainRequest({ headers: { cookie: 'cohorly_anonymous_id=c1' } });
    expect(anonymousIdOf(req, plainAccessor, { header: 'x-visitor' })).toBe('c1');
  });

  it('decodes cookie values and survives malformed cookie headers', () => {
    const encoded = plainRequest({ headers: { cookie: 'cohorly_anonymous_id=a%20b' } });
    expect(anonymousIdOf(encoded, plainAccessor, undefined)).toBe('a b');
    const malformed = plainRequest({ headers: { cookie: 'cohorly_anonymous_id=%E0%A4%A; ;;=' } });
    expect(anonymousIdOf(malformed, plainAccessor, undefined)).toBe('%E0%A4%A');
    const empty = plainRequest({ headers: { cookie: 'cohorly_anonymous_id=' } });
    expect(anonymousIdOf(empty, plainAccessor, undefined)).toBeUndefined();
  });

  it('finds the cookie among 1,500 others that are no valid percent-encoding', () => {
    // A client may send them (about 20 KB); only the anonymous id's value is decoded.
    const hostile = Array.from({ length: 1_500 }, (_, i) => `c${i}=%E0%A4%A`).join('; ');
    const id = (cookie: string) =>
      anonymousIdOf(plainRequest({ headers: { cookie } }), plainAccessor, undefined);
    expect(id(`${hostile}; cohorly_anonymous_id=anon%201`)).toBe('anon 1');
    expect(id(`cohorly_anonymous_id=anon-2; ${hostile}`)).toBe('anon-2');
    expect(id(hostile)).toBeUndefined();
  });

  it('reads the first non-empty value of a cookie sent twice', () => {
    const id = (cookie: string) =>
      anonymousIdOf(plainRequest({ headers: { cookie } }), plainAccessor, { cookie: 'vid' });
    // A cookie cleared at one path comes before the one still set at another.
    expect(id('vid=; other=1; vid=anon-second')).toBe('anon-second');
    expect(id('vid= \t; vid=anon-second')).toBe('anon-second');
    expect(id('vid=anon-first; vid=anon-second')).toBe('anon-first');
    expect(id('vid=; vid=')).toBeUndefined();
  });

  it('reads cookies as the cookie package does: names and values trimmed, quotes kept', () => {
    const id = (cookie: string) =>
      anonymousIdOf(plainRequest({ headers: { cookie } }), plainAccessor, { cookie: 'vid' });
    expect(id(' \tvid \t=  anon-1 \t;x=2')).toBe('anon-1');
    expect(id('vid="anon-q"')).toBe('"anon-q"');
    // A pair with no "=" is skipped, not read as the start of the next one.
    expect(id('vid; a=1')).toBeUndefined();
    expect(id('junk; vid=anon-2')).toBe('anon-2');
    // A name that only ends or starts like the one asked for is another cookie.
    expect(id('xvid=a; vidx=b; v id=c')).toBeUndefined();
    expect(id('a=vid=x; vid=anon-3=b')).toBe('anon-3=b');
  });
});
