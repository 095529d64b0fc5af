import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { ensureBuilt, type RunningApp, startApp } from './support/next-fixture-app.js';
import {
  ANONYMOUS_ID,
  CLIENT_IP,
  leakedValues,
  QUERY,
  REQUEST_HEADERS,
  USER_AGENT,
} from './support/privacy-probe.js';

// @cohorly/next in a real Next.js app (fixtures/next-privacy-app, `next build` + `next start`):
// trackServer in a route handler reads nothing from the request but the anonymous id until
// capture options say otherwise. /api/default uses the defaults; /api/capture turns on
// `capture: { ip: true, userAgent: true }` (Next.js exposes no request path to server code).

let server: TestServer;
let app: RunningApp;

beforeAll(async () => {
  server = await startTestServer();
  await ensureBuilt();
  app = await startApp({ COHORLY_API_HOST: server.url });
});

afterAll(async () => {
  await app?.stop();
  await server?.close();
});

beforeEach(() => {
  server.reset();
});

/** Requests `route` with `headers` and waits for its event. */
async function checkout(route: string, headers: Record<string, string>) {
  const response = await fetch(`${app.url}${route}${QUERY}`, { headers });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ ok: true });
  return server.waitForEvents(1, { timeoutMs: 15_000 });
}

it('sends no IP, User-Agent, cookie, credential, custom header or query by default', async () => {
  const [event] = await checkout('/api/default', REQUEST_HEADERS);
  expect(event).toMatchObject({ event: 'Checkout Completed', distinctId: ANONYMOUS_ID });
  expect(Object.keys(event!.properties).sort()).toEqual(
    ['$insert_id', '$lib', '$lib_version', 'distinct_id', 'items', 'time'].sort(),
  );
  expect(leakedValues(server)).toEqual([]);
});

it('reads the anonymous id from its header just as privately', async () => {
  const { cookie: _, ...withoutCookie } = REQUEST_HEADERS;
  const [event] = await checkout('/api/default', {
    ...withoutCookie,
    'x-cohorly-anonymous-id': 'anon-from-header',
  });
  expect(event).toMatchObject({ distinctId: 'anon-from-header' });
  expect(leakedValues(server)).toEqual([]);
});

it('sends the IP and the User-Agent once capture asks for them, and nothing more', async () => {
  const [event] = await checkout('/api/capture', REQUEST_HEADERS);
  expect(event).toMatchObject({
    distinctId: ANONYMOUS_ID,
    properties: { ip: CLIENT_IP, $user_agent: USER_AGENT },
  });
  expect(leakedValues(server).sort()).toEqual(['ip', 'userAgent']);
});

it('never let a rejection go unhandled in the app', () => {
  expect(app.output()).not.toContain('unhandledRejection');
});
