// The example app, built and run with `next start` as in production, against a Cohorly server
// that fails in every way in turn, then goes down and comes back on the same port. Visitors
// get the same answers throughout; every event of every successful request arrives exactly
// once (by $insert_id), except the batch the server rejects with 400, which is dropped and
// logged; SIGTERM lets the pending deliveries finish. The app runs on real time: each outage
// is short, and deliveries come from the app's own after() work, which waits out backoff
// windows within flushTimeoutMs. Exact backoff rules are covered in-process by
// @cohorly/next's tests.
import { type FaultStep, startTestServer, type TestServer } from '@cohorly/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureBuilt, type RunningApp, startApp } from './next-app.js';

// Retry-After: 0 on the 5xx rows keeps this real-time test short; 429 without Retry-After and
// the reset wait out the client's own 2 s backoff.
const FAULTS: { fault: string; step: FaultStep }[] = [
  { fault: '429 with Retry-After: 1', step: { status: 429, headers: { 'Retry-After': '1' } } },
  { fault: '429 without Retry-After', step: { status: 429 } },
  { fault: '500', step: { status: 500, headers: { 'Retry-After': '0' } } },
  { fault: '502', step: { status: 502, headers: { 'Retry-After': '0' } } },
  { fault: '503', step: { status: 503, headers: { 'Retry-After': '0' } } },
  { fault: 'a connection reset', step: { drop: true } },
  { fault: '400', step: { status: 400 } },
  // Last: the halved batch size stays halved for the rest of the client's life.
  { fault: '413 on a batch of several', step: { status: 413 } },
];

interface SentEvent {
  event: string;
  properties: { distinct_id: string; $insert_id: string };
}

/** What one order tracks: the order, and its one item. */
const EVENTS_OF_AN_ORDER = ['Order Placed', 'Item Purchased'];
const key = (user: string, event: string) => `${user} / ${event}`;

describe('a Cohorly server failing in every way, then down and back', () => {
  const servers: TestServer[] = [];
  let cohorly: TestServer;
  let app: RunningApp;
  /** The events of every order that succeeded, as `user / event`. */
  const expected: string[] = [];
  /** Those in the batch the server rejected with 400, which the client dropped. */
  const rejected: string[] = [];
  let beats = 0;

  beforeAll(async () => {
    cohorly = await startTestServer();
    servers.push(cohorly);
    await ensureBuilt();
    app = await startApp({ COHORLY_TOKEN: 'storm-token', COHORLY_API_HOST: cohorly.url });
  });
  afterAll(async () => {
    await app?.stop();
    await Promise.all(servers.map((server) => server.close()));
  });

  /** Places an order as the signed-in `user`; the visitor sees the usual answer. */
  async function order(user: string): Promise<void> {
    const response = await fetch(`${app.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `example_session_user=${user}` },
      body: JSON.stringify({ items: [{ sku: 'book', price: 12 }] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ total: 12 });
    expected.push(...EVENTS_OF_AN_ORDER.map((event) => key(user, event)));
  }

  /** Whether every event of every order so far is at one of the servers (but those dropped). */
  const allDelivered = () => {
    const arrived = new Set(
      servers.flatMap((server) => server.events().map((e) => key(e.distinctId, e.event))),
    );
    return expected.every((k) => rejected.includes(k) || arrived.has(k));
  };

  /** Waits until every event so far has arrived; bounded. */
  async function waitForDelivery(): Promise<void> {
    await vi.waitFor(
      async () => {
        // Another order now and then: a delivery of its own, should one have given up.
        if (!allDelivered()) await order(`beat-${beats++}`);
        expect(allDelivered()).toBe(true);
      },
      { timeout: 20_000, interval: 500 },
    );
  }

  /** `/track` requests the current server received since the `since`th request. */
  const trackRequests = (since: number) =>
    cohorly
      .requests()
      .slice(since)
      .filter((request) => request.path === '/track');

  /**
   * Three orders, the first one's delivery held at the server meanwhile: the batch after it,
   * which meets the fault, holds the others (those done in time).
   */
  async function threeOrders(since: number): Promise<void> {
    const [first, ...others] = [1, 2, 3].map((n) => `visitor-${expected.length}-${n}`);
    await order(first!);
    const held = () => trackRequests(since).some((request) => request.status === null);
    await vi.waitFor(() => expect(held()).toBe(true), { timeout: 10_000 });
    await Promise.all(others.map(order));
  }

  it.each(FAULTS)('answers as usual through $fault', async ({ step }) => {
    // Every earlier event is in: the fault meets this row's batch, and no other.
    await waitForDelivery();
    const since = cohorly.requests().length;
    cohorly.faults.next('/track', [{ delayMs: 300 }, step]);
    await threeOrders(since);

    await vi.waitFor(() => expect(cohorly.faults.pending('/track')).toBe(0), { timeout: 10_000 });
    const [, faulted] = trackRequests(since);
    const batch = (faulted!.json as SentEvent[]).map((e) => key(e.properties.distinct_id, e.event));
    // An order's events are delivered together: a batch always holds several.
    expect(batch.length).toBeGreaterThan(1);
    if (step.status === 400) {
      rejected.push(...batch);
      await vi.waitFor(() =>
        expect(app.output()).toMatch(
          new RegExp(`\\[cohorly\\].*rejected a batch of ${batch.length} messages`),
        ),
      );
    }
    await waitForDelivery();
  });

  it('answers as usual while the server is down, and delivers once it is back on its port', async () => {
    const { port } = cohorly;
    await cohorly.close();
    const logged = app.output().length;
    await Promise.all(['down-1', 'down-2', 'down-3'].map(order));
    // The app's delivery found nobody listening.
    await vi.waitFor(
      () => expect(app.output().slice(logged)).toMatch(/\[cohorly\].*\(no answer\)/),
      {
        timeout: 10_000,
      },
    );

    cohorly = await startTestServer({ port });
    servers.push(cohorly);
    await waitForDelivery();
  });

  it('finishes its deliveries on SIGTERM and exits; every event arrived exactly once', async () => {
    await Promise.all(['last-1', 'last-2'].map(order));

    app.child.kill('SIGTERM');
    // next start exits with 128 + 15 once its pending after() work is done.
    expect(await app.exited).toBe(143);

    expect(app.output()).not.toContain('unhandledRejection');
    expect(app.output()).not.toContain('over the server payload limit');
    const accepted = servers.flatMap((server) =>
      server
        .requests()
        .filter((request) => request.path === '/track' && request.status === 200)
        .flatMap((request) => request.json as SentEvent[]),
    );
    const ids = accepted.map((event) => event.properties.$insert_id);
    expect(ids.length).toBe(new Set(ids).size);
    expect(rejected.length).toBeGreaterThan(1);
    expect(accepted.map((event) => key(event.properties.distinct_id, event.event)).sort()).toEqual(
      expected.filter((k) => !rejected.includes(k)).sort(),
    );
  });
});
