import { requestProperties, resolveDistinctId } from '@cohorly/server-kit';
import { RequestCookies } from 'next/dist/server/web/spec-extension/cookies.js';
import { describe, expect, it } from 'vitest';
import type { CohorlyServerOptions } from './cohorly-server-options.js';
import { type NextRequestSnapshot, nextRequestConfig } from './next-request.js';

// What headers() and cookies() give inside a request: Web Headers and Next.js's own cookie
// class, built from the request's headers.
function snapshot(headers: Record<string, string>, userId?: string): NextRequestSnapshot {
  const list = new Headers(headers);
  return { headers: list, cookies: new RequestCookies(list), userId };
}

function idOf(options: CohorlyServerOptions, req: NextRequestSnapshot, explicit?: string) {
  const config = nextRequestConfig(options);
  return resolveDistinctId(req, config.accessor, config.options, explicit);
}

describe('identity', () => {
  const visitor = snapshot({
    cookie: 'cohorly_anonymous_id=anon-cookie; other=1',
    'x-cohorly-anonymous-id': 'anon-header',
  });

  it('prefers the explicit id, then getDistinctId(), then the header, then the cookie', () => {
    const signedIn = { ...visitor, userId: 'user-1' };
    expect(idOf({}, signedIn, 'explicit')).toBe('explicit');
    expect(idOf({}, signedIn)).toBe('user-1');
    expect(idOf({}, visitor)).toBe('anon-header');
    expect(idOf({}, snapshot({ cookie: 'cohorly_anonymous_id=anon-cookie' }))).toBe('anon-cookie');
  });

  it('reads a numeric user id as a string', () => {
    expect(idOf({}, { ...visitor, userId: 42 as never })).toBe('42');
  });

  it('reads the cookie and header names configured, and decodes cookie values', () => {
    const req = snapshot({ cookie: 'vid=a%40b; cohorly_anonymous_id=default', 'x-vid': 'h' });
    expect(idOf({ anonymousIdCookie: 'vid', anonymousIdHeader: false }, req)).toBe('a@b');
    expect(idOf({ anonymousIdHeader: 'x-vid' }, req)).toBe('h');
  });

  it('turns each anonymous source off with false', () => {
    expect(idOf({ anonymousIdHeader: false }, visitor)).toBe('anon-cookie');
    expect(idOf({ anonymousIdCookie: false }, visitor)).toBe('anon-header');
    expect(idOf({ anonymousIdCookie: false, anonymousIdHeader: false }, visitor)).toBeUndefined();
  });

  it('reads the first anonymous id of a header sent twice, not a third user made of both', () => {
    // headers() is a web Headers: it joins the values of a repeated header with ", ".
    const twice = (name: string) => {
      const list = new Headers();
      list.append(name, 'anon-a');
      list.append(name, 'anon-b');
      expect(list.get(name)).toBe('anon-a, anon-b');
      return { headers: list, cookies: new RequestCookies(list) };
    };
    expect(idOf({}, twice('x-cohorly-anonymous-id'))).toBe('anon-a');
    expect(idOf({ anonymousIdHeader: 'X-Vid' }, twice('x-vid'))).toBe('anon-a');
  });

  it('skips an empty first anonymous id of a header sent twice', () => {
    const sent = (name: string, values: string[]) => {
      const list = new Headers();
      for (const value of values) list.append(name, value);
      return { headers: list, cookies: new RequestCookies(list) };
    };
    // headers() gives ", anon-b": read as empty, the event would be dropped.
    expect(
      sent('x-cohorly-anonymous-id', ['', 'anon-b']).headers.get('x-cohorly-anonymous-id'),
    ).toBe(', anon-b');
    expect(idOf({}, sent('x-cohorly-anonymous-id', ['', 'anon-b']))).toBe('anon-b');
    expect(idOf({}, sent('x-cohorly-anonymous-id', [' ', '', 'anon-c']))).toBe('anon-c');
    expect(idOf({ anonymousIdHeader: 'X-Vid' }, sent('x-vid', ['', 'v-1']))).toBe('v-1');
    expect(idOf({}, sent('x-cohorly-anonymous-id', ['', '']))).toBeUndefined();
  });

  it('finds no id outside a request scope', () => {
    expect(idOf({}, {})).toBeUndefined();
  });
});

describe('request properties', () => {
  const req = snapshot({ 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'user-agent': 'Bot/1' });

  it('sends nothing from the request by default', () => {
    const config = nextRequestConfig({});
    expect(requestProperties(req, config.accessor, config.options)).toEqual({});
  });

  it('sends a user agent whole, commas and all', () => {
    const userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)';
    const config = nextRequestConfig({ capture: { userAgent: true } });
    expect(
      requestProperties(snapshot({ 'user-agent': userAgent }), config.accessor, config.options),
    ).toEqual({ $user_agent: userAgent });
  });

  it('sends the client IP and the user agent when asked', () => {
    const config = nextRequestConfig({ capture: { ip: true, userAgent: true } });
    expect(requestProperties(req, config.accessor, config.options)).toEqual({
      ip: '203.0.113.7',
      $user_agent: 'Bot/1',
    });
    const direct = snapshot({ 'x-real-ip': '198.51.100.2' });
    expect(requestProperties(direct, config.accessor, config.options)).toEqual({
      ip: '198.51.100.2',
    });
  });
});
