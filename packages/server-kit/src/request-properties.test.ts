import { describe, expect, it, vi } from 'vitest';
import { plainAccessor, plainRequest } from '../test/plain-request.js';
import { requestProperties } from './request-properties.js';

const req = plainRequest({
  url: '/search?q=ann%40example.com&page=2',
  ip: '203.0.113.7',
  headers: { 'user-agent': 'test-agent/1.0' },
});

describe('requestProperties', () => {
  it('sends only the path by default: no query string, no IP, no user agent', () => {
    expect(requestProperties(req, plainAccessor, {})).toEqual({ $path: '/search' });
  });

  it('keeps the query string, the IP and the user agent only when asked', () => {
    expect(
      requestProperties(req, plainAccessor, {
        capture: { query: true, ip: true, userAgent: true },
      }),
    ).toEqual({
      $path: '/search?q=ann%40example.com&page=2',
      ip: '203.0.113.7',
      $user_agent: 'test-agent/1.0',
    });
  });

  it('sends no path with capture.path false, and nothing for what the request lacks', () => {
    expect(requestProperties(req, plainAccessor, { capture: { path: false } })).toEqual({});
    expect(
      requestProperties(plainRequest(), plainAccessor, { capture: { ip: true, userAgent: true } }),
    ).toEqual({});
  });

  it('merges superProperties(req) over the captured ones', () => {
    const props = requestProperties(req, plainAccessor, {
      superProperties: (r) => ({ tenant: r.headers['user-agent'], $path: '/masked' }),
    });
    expect(props).toEqual({ $path: '/masked', tenant: 'test-agent/1.0' });
    expect(requestProperties(req, plainAccessor, { superProperties: () => undefined })).toEqual({
      $path: '/search',
    });
  });

  it('leaves out the keys the SDK stamps on each event, and reports each set of them once', () => {
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    const options = {
      superProperties: (r: typeof req) =>
        r.headers['x-replay'] === 'yes'
          ? { tenant: 'acme', time: 0 }
          : { tenant: 'acme', $insert_id: 'req-1', distinct_id: 'acme' },
    };
    const properties = (r: typeof req) =>
      requestProperties(r, plainAccessor, options, onError, 'track "Viewed"');

    expect(properties(req)).toEqual({ $path: '/search', tenant: 'acme' });
    expect(properties(req)).toEqual({ $path: '/search', tenant: 'acme' });
    const replay = { ...req, headers: { ...req.headers, 'x-replay': 'yes' } };
    expect(properties(replay)).toEqual({ $path: '/search', tenant: 'acme' });
    expect(properties(replay)).toEqual({ $path: '/search', tenant: 'acme' });

    expect(errors.map((e) => (e as Error).message)).toEqual([
      `track "Viewed": superProperties(req) returned distinct_id, which would replace the event's user, even one tracked with an explicit { distinctId }; $insert_id, which would give every event of the request the same insert id, so the server would keep only one of them; left out of this event and every later one (the SDK sets them itself); said once`,
      'track "Viewed": superProperties(req) returned time, which would replace the time each event happened; left out of this event and every later one (the SDK sets it itself); said once',
    ]);
  });

  it('tells each integration (each onError) once, even when they share a superProperties function', () => {
    const shared = { superProperties: () => ({ tenant: 'acme', time: 0 }) };
    const first: unknown[] = [];
    const second: unknown[] = [];
    const toFirst = (error: unknown) => first.push(error);
    const toSecond = (error: unknown) => second.push(error);
    for (const onError of [toFirst, toSecond, toFirst, toSecond]) {
      requestProperties(req, plainAccessor, shared, onError);
    }
    expect([first.length, second.length]).toEqual([1, 1]);
  });

  it('reports nothing when no stamped key is returned, and warns by default when one is', () => {
    const onError = vi.fn();
    const options = { superProperties: () => ({ tenant: 'acme', $time: 1 }) };
    expect(requestProperties(req, plainAccessor, options, onError)).toEqual({
      $path: '/search',
      tenant: 'acme',
      $time: 1,
    });
    expect(onError).not.toHaveBeenCalled();

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(
        requestProperties(req, plainAccessor, { superProperties: () => ({ time: undefined }) }),
      ).toEqual({ $path: '/search' });
      expect(warn).toHaveBeenCalledWith(
        '[cohorly] superProperties(req) returned time, which would replace the time each event happened; left out of this event and every later one (the SDK sets it itself); said once',
      );
    } finally {
      warn.mockRestore();
    }
  });

  it('throws for a Promise, a Map or a Set, which would add nothing', () => {
    const returning = (value: unknown) => () =>
      requestProperties(req, plainAccessor, { superProperties: () => value as never });
    expect(returning(Promise.resolve({ plan: 'pro' }))).toThrow(
      'superProperties(req) returned a Promise: superProperties must return its properties synchronously',
    );
    expect(returning(Object.defineProperty({}, 'then', { value: () => undefined }))).toThrow(
      'returned a Promise',
    );
    expect(returning(new Map([['plan', 'pro']]))).toThrow(
      'superProperties(req) must return a plain object, got a Map',
    );
    expect(returning(new Set(['pro']))).toThrow('got a Set');
  });
});
