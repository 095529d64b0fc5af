import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startExpressShop } from './support/express-shop.js';
import {
  ANONYMOUS_ID,
  CLIENT_IP,
  leakedValues,
  QUERY,
  REQUEST_HEADERS,
  USER_AGENT,
} from './support/privacy-probe.js';

// @cohorly/express sends nothing from the request but the identity it is configured to read
// (the anonymous id) and the path without its query, until capture options say otherwise.

let server: TestServer;
const errors: unknown[] = [];

beforeEach(async () => {
  server = await startTestServer();
  errors.length = 0;
});

afterEach(async () => {
  await server.close();
});

/** Serves the shop, sends one checkout request with `headers`, and flushes. */
async function checkout(
  options: Parameters<typeof startExpressShop>[0],
  headers: Record<string, string>,
) {
  // `trust proxy` on: Express would resolve the client IP from X-Forwarded-For if asked.
  const shop = await startExpressShop(
    { token: 'privacy', apiHost: server.url, onError: (error) => errors.push(error), ...options },
    { trustProxy: true },
  );
  try {
    const response = await fetch(`${shop.url}/checkout${QUERY}`, { headers });
    expect(response.status).toBe(200);
    await response.json();
    await shop.analytics.flush();
  } finally {
    await shop.close();
  }
  expect(errors).toEqual([]);
}

it('sends no IP, User-Agent, cookie, credential, custom header or query by default', async () => {
  await checkout({}, REQUEST_HEADERS);
  expect(server.events()).toMatchObject([
    { event: 'Checkout Completed', distinctId: ANONYMOUS_ID, properties: { $path: '/checkout' } },
  ]);
  expect(server.profiles()).toMatchObject([{ distinctId: ANONYMOUS_ID }]);
  expect(leakedValues(server)).toEqual([]);
  const [event] = server.events();
  expect(Object.keys(event!.properties).sort()).toEqual(
    ['$insert_id', '$lib', '$lib_version', '$path', 'distinct_id', 'items', 'time'].sort(),
  );
});

it('reads the anonymous id from its header just as privately', async () => {
  const { cookie: _, ...withoutCookie } = REQUEST_HEADERS;
  await checkout({}, { ...withoutCookie, 'x-cohorly-anonymous-id': 'anon-from-header' });
  expect(server.events()).toMatchObject([{ distinctId: 'anon-from-header' }]);
  expect(leakedValues(server)).toEqual([]);
});

it('sends the IP, the User-Agent and the query once capture asks for them, and nothing more', async () => {
  await checkout({ capture: { ip: true, userAgent: true, query: true } }, REQUEST_HEADERS);
  expect(server.events()).toMatchObject([
    {
      distinctId: ANONYMOUS_ID,
      properties: { ip: CLIENT_IP, $user_agent: USER_AGENT, $path: `/checkout${QUERY}` },
    },
  ]);
  expect(leakedValues(server).sort()).toEqual(['ip', 'query', 'userAgent']);
});
