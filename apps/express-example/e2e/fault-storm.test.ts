// The built app, as production runs it, against a Cohorly server that fails in every way in
// turn, then goes down and comes back on the same port. Customers get the same answers
// throughout; every event of every successful request arrives exactly once (by $insert_id),
// except the batch the server rejects with 400, which is dropped and logged; SIGTERM delivers
// what is left and the process exits. The app runs on real time: each outage is short, and
// deliveries come from the app's own flushes (after each response, and on SIGTERM). Exact
// backoff rules are covered in-process by @cohorly/express's tests.
import { type FaultStep, startTestServer, type TestServer } from '@cohorly/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, killAllApps, oneItemCart, type RunningApp } from './app-process.js';
import { startAppFor, TOKEN } from './cohorly-fixture.js';

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

describe('a Cohorly server failing in every way, then down and back', () => {
  const servers: TestServer[] = [];
  let cohorly: TestServer;
  let app: RunningApp;
  /** Users whose checkout succeeded: each has exactly one "Checkout Completed" to deliver. */
  const customers: string[] = [];
  /** Users whose event the client dropped (400, or 413 on a message alone). */
  const rejected: string[] = [];
  let beats = 0;

  beforeAll(async () => {
    cohorly = await startTestServer({ tokens: [TOKEN] });
    servers.push(cohorly);
    app = await startAppFor(cohorly);
  });
  afterAll(async () => {
    await killAllApps();
    await Promise.all(servers.map((server) => server.close()));
  });

  /** Checks out as `user`; the customer sees the usual answer. */
  async function checkout(user: string): Promise<void> {
    const response = await call(`${app.url}/checkout`, {
      body: oneItemCart(5),
      headers: { authorization: `Bearer ${user}` },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ total: 10, items: 1 });
    customers.push(user);
  }

  /** Whether every checkout so far has its event at one of the servers (but those rejected). */
  const allDelivered = () =>
    customers
      .filter((user) => !rejected.includes(user))
      .every((user) =>
        servers.some(
          (server) => server.events({ event: 'Checkout Completed', distinctId: user }).length,
        ),
      );

  /**
   * Waits until every event so far has arrived, with a checkout now and then (whose response
   * closing is what makes the app flush once a backoff window is over). Bounded.
   */
  async function waitForDelivery(): Promise<void> {
    await vi.waitFor(
      async () => {
        if (!allDelivered()) await checkout(`beat-${beats++}`);
        expect(allDelivered()).toBe(true);
      },
      { timeout: 20_000, interval: 200 },
    );
  }

  /** `/track` requests `server` received since the `since`th request. */
  const trackRequests = (since: number) =>
    cohorly
      .requests()
      .slice(since)
      .filter((request) => request.path === '/track');

  /**
   * Three checkouts, the first one's flush held at the server meanwhile: the batch after it,
   * which meets the fault, holds the others (those done in time).
   */
  async function threeCheckouts(since: number): Promise<void> {
    const [first, ...others] = [1, 2, 3].map((n) => `customer-${customers.length}-${n}`);
    await checkout(first!);
    const held = () => trackRequests(since).some((request) => request.status === null);
    await vi.waitFor(() => expect(held()).toBe(true), { timeout: 10_000 });
    await Promise.all(others.map(checkout));
  }

  it.each(FAULTS)('answers as usual through $fault', async ({ step }) => {
    // Every earlier event is in: the fault meets this row's batch, and no other.
    await waitForDelivery();
    const since = cohorly.requests().length;
    cohorly.faults.next('/track', [{ delayMs: 300 }, step]);
    await threeCheckouts(since);

    await vi.waitFor(() => expect(cohorly.faults.pending('/track')).toBe(0), { timeout: 10_000 });
    const [, faulted] = trackRequests(since);
    const batch = (faulted!.json as SentEvent[]).map((event) => event.properties.distinct_id);
    expect(batch.length).toBeGreaterThan(0);
    // Dropped and logged, as the contract says: a batch the server rejects, or a message
    // alone over its limit (a 413 on several halves the batch instead).
    if (step.status === 400 || (step.status === 413 && batch.length === 1)) {
      rejected.push(...batch);
      await app.waitForOutput(
        step.status === 400
          ? new RegExp(`\\[cohorly\\].*rejected a batch of ${batch.length} messages`)
          : /\[cohorly\].*over the server payload limit; it was dropped/,
      );
    }
    await waitForDelivery();
  });

  it('answers as usual while the server is down, and delivers once it is back on its port', async () => {
    const { port } = cohorly;
    await cohorly.close();
    const logged = app.output().length;
    await Promise.all(['down-1', 'down-2', 'down-3'].map(checkout));
    // The app's flush found nobody listening.
    await vi.waitFor(
      () => expect(app.output().slice(logged)).toMatch(/\[cohorly\].*\(no answer\)/),
      {
        timeout: 10_000,
      },
    );

    cohorly = await startTestServer({ port, tokens: [TOKEN] });
    servers.push(cohorly);
    await waitForDelivery();
  });

  it('delivers the rest on SIGTERM and exits; every event arrived exactly once', async () => {
    await Promise.all(['last-1', 'last-2'].map(checkout));

    expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    expect(app.output()).toMatch(/cohorly: \d+ messages delivered, 0 undelivered/);
    expect(app.output()).not.toContain('unhandledRejection');
    const accepted = servers.flatMap((server) =>
      server
        .requests()
        .filter((request) => request.path === '/track' && request.status === 200)
        .flatMap((request) => request.json as SentEvent[]),
    );
    const ids = accepted.map((event) => event.properties.$insert_id);
    expect(ids.length).toBe(new Set(ids).size);
    expect(rejected.length).toBeGreaterThan(0);
    expect(accepted.map((event) => event.properties.distinct_id).sort()).toEqual(
      customers.filter((user) => !rejected.includes(user)).sort(),
    );
  });
});
