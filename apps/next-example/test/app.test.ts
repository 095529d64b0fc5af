import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ensureBuilt, type RunningApp, startApp } from './next-app.js';

// The example app, built with `next build` and run with `next start` as in production,
// tracking to a real Cohorly-compatible server on 127.0.0.1.

let server: TestServer;
let app: RunningApp;

beforeAll(async () => {
  server = await startTestServer();
  await ensureBuilt();
  app = await startApp({ COHORLY_TOKEN: 'example-token', COHORLY_API_HOST: server.url });
});

afterAll(async () => {
  await app?.stop();
  await server?.close();
});

beforeEach(() => {
  server.reset();
});

const trackRequests = () => server.requests().filter((request) => request.path === '/track');

function postOrder(cookie: string, items: Array<{ sku: string; price: number }>) {
  return fetch(`${app.url}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ items }),
  });
}

describe('route handler', () => {
  it('answers without waiting for delivery, then sends every event in one flush', async () => {
    // Cohorly answers slowly: a response that waited for delivery would come back after it.
    server.faults.next('/track', { delayMs: 1500 });
    const response = await postOrder('cohorly_anonymous_id=anon-route', [
      { sku: 'book', price: 12 },
      { sku: 'pen', price: 3 },
    ]);
    const order = (await response.json()) as { orderId: string; total: number };
    expect(response.status).toBe(200);
    expect(order.total).toBe(15);
    // The whole response is in, and Cohorly has not answered any delivery yet.
    expect(trackRequests().every((request) => request.status === null)).toBe(true);

    const events = await server.waitForEvents(3);
    expect(events).toMatchObject([
      { event: 'Order Placed', distinctId: 'anon-route', properties: { orderId: order.orderId } },
      { event: 'Item Purchased', distinctId: 'anon-route', properties: { sku: 'book' } },
      { event: 'Item Purchased', distinctId: 'anon-route', properties: { sku: 'pen' } },
    ]);
    // Three trackServer calls, one request to Cohorly.
    expect(trackRequests()).toHaveLength(1);
    expect(trackRequests()[0]!.json).toHaveLength(3);
  });

  it('tracks the signed-in user (getDistinctId) before the anonymous id', async () => {
    const response = await postOrder(
      'cohorly_anonymous_id=anon-2; example_session_user=user-42',
      [],
    );
    expect(response.status).toBe(200);
    const [event] = await server.waitForEvents({ event: 'Order Placed' });
    expect(event!.distinctId).toBe('user-42');
  });
});

describe('server action', () => {
  it('tracks the sign-up and still redirects (303)', async () => {
    const page = await (await fetch(`${app.url}/signup`)).text();
    const form = /<form[^>]*>[\s\S]*?<\/form>/.exec(page)?.[0];
    expect(form).toBeDefined();
    // Post the form as a browser without JavaScript does (progressive enhancement): the
    // hidden fields React rendered carry the action's id.
    const body = new FormData();
    for (const input of form!.matchAll(
      /<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?/g,
    )) {
      body.append(input[1]!, input[2] ?? '');
    }
    expect([...body.keys()].some((name) => name.startsWith('$ACTION_ID_'))).toBe(true);
    body.append('email', 'ada@example.com');
    body.append('plan', 'pro');

    const response = await fetch(`${app.url}/signup`, {
      method: 'POST',
      body,
      redirect: 'manual',
      headers: { origin: app.url },
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/welcome');
    expect(response.headers.get('set-cookie')).toMatch(/example_session_user=ada%40example.com/);

    const [event] = await server.waitForEvents({ event: 'Signed Up' });
    expect(event).toMatchObject({ distinctId: 'ada@example.com', properties: { plan: 'pro' } });
    // Tracked from the action's own after() callback, once the first delivery was done.
    const [email] = await server.waitForEvents({ event: 'Welcome Email Sent' });
    expect(email).toMatchObject({
      distinctId: 'ada@example.com',
      properties: { template: 'welcome-v2' },
    });
  });
});

describe('edge route', () => {
  it('tracks from the edge runtime', async () => {
    const response = await fetch(`${app.url}/api/edge?from=e2e`, {
      headers: { cookie: 'cohorly_anonymous_id=anon-edge' },
    });
    expect(await response.json()).toEqual({ ok: true, runtime: 'edge' });
    const [event] = await server.waitForEvents({ event: 'Edge Pinged' });
    expect(event).toMatchObject({ distinctId: 'anon-edge', properties: { from: 'e2e' } });
  });
});

describe('transport', () => {
  // Node's global fetch (undici, and Next.js's patched fetch over it) sends `user-agent` and
  // `sec-fetch-mode`; node:http sends neither.
  const sentWith = () =>
    trackRequests().map(({ headers }) => ({
      userAgent: headers['user-agent'],
      fetchMode: headers['sec-fetch-mode'],
    }));

  it('delivers with node:http from the Node.js runtime', async () => {
    expect((await postOrder('cohorly_anonymous_id=anon-node', [])).status).toBe(200);
    await server.waitForEvents({ event: 'Order Placed' });
    expect(sentWith()).toEqual([{ userAgent: undefined, fetchMode: undefined }]);
  });

  it('delivers with the global fetch from the edge runtime', async () => {
    const response = await fetch(`${app.url}/api/edge?from=transport`, {
      headers: { cookie: 'cohorly_anonymous_id=anon-edge' },
    });
    expect(response.status).toBe(200);
    await server.waitForEvents({ event: 'Edge Pinged' });
    expect(sentWith()).toEqual([{ userAgent: expect.any(String), fetchMode: 'cors' }]);
  });
});

describe('server component', () => {
  it('is rendered per visit, tracking each visitor', async () => {
    for (const visitor of ['visitor-a', 'visitor-b']) {
      const response = await fetch(`${app.url}/pricing`, {
        headers: { cookie: `cohorly_anonymous_id=${visitor}` },
      });
      expect(await response.text()).toContain('Pricing');
    }
    const events = await server.waitForEvents({ event: 'Pricing Viewed' }, { count: 2 });
    expect(events.map((event) => event.distinctId)).toEqual(['visitor-a', 'visitor-b']);
  });
});

describe('shutdown', () => {
  it('delivers on SIGTERM what is still being retried after a response', async () => {
    // The first delivery fails; the retry (after Retry-After) is pending when SIGTERM comes.
    server.faults.next('/track', { status: 503, headers: { 'Retry-After': '1' } });
    const response = await postOrder('example_session_user=user-sigterm', []);
    expect(response.status).toBe(200);
    await vi.waitFor(
      () => expect(trackRequests().map((request) => request.status)).toEqual([503]),
      {
        timeout: 10_000,
        interval: 20,
      },
    );

    let deliveredBeforeExit: unknown[] = [];
    const exited = app.exited.then((code) => {
      deliveredBeforeExit = server.events({ event: 'Order Placed' });
      return code;
    });
    app.child.kill('SIGTERM');
    // next start exits with 128 + 15 once its pending after() work is done.
    expect(await exited).toBe(143);
    expect(deliveredBeforeExit).toMatchObject([
      { event: 'Order Placed', distinctId: 'user-sigterm' },
    ]);
    expect(trackRequests().map((request) => request.status)).toEqual([503, 200]);
  });

  it('never had an unhandled rejection', () => {
    expect(app.output()).not.toContain('unhandledRejection');
  });
});
