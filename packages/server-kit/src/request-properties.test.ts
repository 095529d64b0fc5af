import { describe, expect, it } from 'vitest';
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
});
