// The built app, as production runs it, against a Cohorly server that fails in every way in
// turn, then goes down and comes back on the same port. Clients get the same answers
// throughout; every event of every successful request arrives exactly once (by $insert_id),
// except the batch the server rejects with 400, which is dropped and logged; SIGTERM (the
// shutdown hooks) delivers what is left and the process exits. The app runs on real time:
// each outage is short, and deliveries come from the app's own flushes (after each response,
// and on shutdown). Exact backoff rules are covered in-process by @cohorly/nestjs's tests.
import { type FaultStep, startTestServer, type TestServer } from '@cohorly/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, type ExampleApp, startExampleApp } from './example-app.js';

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
  let app: ExampleApp;
  /** Users whose project was created: each has exactly one "Project Created" to deliver. */
  const owners: string[] = [];
  /** Users whose event the client dropped (400, or 413 on a message alone). */
  const rejected: string[] = [];
  let beats = 0;

  beforeAll(async () => {
    cohorly = await startTestServer();
    servers.push(cohorly);
    app = await startExampleApp({ COHORLY_TOKEN: 'T', COHORLY_API_HOST: cohorly.url });
    // The app tracks its startup: that flush is over before the first fault is scripted.
    await cohorly.waitForEvents({ event: 'Server Started' }, { timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await app?.stop('SIGKILL');
    await Promise.all(servers.map((server) => server.close()));
  });

  /** Creates a project as `user`; the client sees the usual answer. */
  async function createProject(user: string): Promise<void> {
    const response = await call(`${app.url}/projects`, { user, body: { name: 'storm' } });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ ownerId: user, name: 'storm' });
    owners.push(user);
  }

  /** Whether every project created so far has its event at one of the servers (but those rejected). */
  const allDelivered = () =>
    owners
      .filter((user) => !rejected.includes(user))
      .every((user) =>
        servers.some(
          (server) => server.events({ event: 'Project Created', distinctId: user }).length,
        ),
      );

  /**
   * Waits until every event so far has arrived, with a request now and then (whose response
   * closing is what makes the app flush once a backoff window is over). Bounded.
   */
  async function waitForDelivery(): Promise<void> {
    await vi.waitFor(
      async () => {
        if (!allDelivered()) await createProject(`beat-${beats++}`);
        expect(allDelivered()).toBe(true);
      },
      { timeout: 20_000, interval: 200 },
    );
  }

  /**
   * Creates three projects, the first one's flush held at the server meanwhile: the batch
   * after it, which meets the fault, holds the others (those done in time).
   */
  async function threeProjects(since: number): Promise<void> {
    const [first, ...others] = [1, 2, 3].map((n) => `owner-${owners.length}-${n}`);
    await createProject(first!);
    const held = () =>
      cohorly
        .requests()
        .slice(since)
        .some((request) => request.path === '/track' && request.status === null);
    await vi.waitFor(() => expect(held()).toBe(true), { timeout: 10_000 });
    await Promise.all(others.map(createProject));
  }

  it.each(FAULTS)('answers as usual through $fault', async ({ step }) => {
    // Every earlier event is in: the fault meets this row's batch, and no other.
    await waitForDelivery();
    const since = cohorly.requests().length;
    cohorly.faults.next('/track', [{ delayMs: 300 }, step]);
    await threeProjects(since);

    await vi.waitFor(() => expect(cohorly.faults.pending()).toBe(0), { timeout: 10_000 });
    const [, faulted] = cohorly
      .requests()
      .slice(since)
      .filter((request) => request.path === '/track');
    const batch = (faulted!.json as SentEvent[]).map((event) => event.properties.distinct_id);
    expect(batch.length).toBeGreaterThan(0);
    // Dropped and logged, as the contract says: a batch the server rejects, or a message
    // alone over its limit (a 413 on several halves the batch instead).
    if (step.status === 400 || (step.status === 413 && batch.length === 1)) {
      rejected.push(...batch);
      const log =
        step.status === 400
          ? new RegExp(`Cohorly.*rejected a batch of ${batch.length} messages`)
          : /Cohorly.*over the server payload limit; it was dropped/;
      await vi.waitFor(() => expect(app.output()).toMatch(log));
    }
    await waitForDelivery();
  });

  it('answers as usual while the server is down, and delivers once it is back on its port', async () => {
    const { port } = cohorly;
    await cohorly.close();
    const logged = app.output().length;
    await Promise.all(['down-1', 'down-2', 'down-3'].map(createProject));
    // The app's flush found nobody listening.
    await vi.waitFor(() => expect(app.output().slice(logged)).toMatch(/Cohorly.*\(no answer\)/), {
      timeout: 10_000,
    });

    cohorly = await startTestServer({ port });
    servers.push(cohorly);
    await waitForDelivery();
  });

  it('delivers the rest on SIGTERM and exits; every event arrived exactly once', async () => {
    await Promise.all(['last-1', 'last-2'].map(createProject));

    expect(await app.stop('SIGTERM')).toMatchObject({ killed: false, signal: 'SIGTERM' });

    expect(app.output()).not.toContain('unhandledRejection');
    expect(app.output()).not.toContain('could not be delivered');
    const accepted = servers
      .flatMap((server) =>
        server
          .requests()
          .filter((request) => request.path === '/track' && request.status === 200)
          .flatMap((request) => request.json as SentEvent[]),
      )
      .filter((event) => event.event === 'Project Created');
    const ids = accepted.map((event) => event.properties.$insert_id);
    expect(ids.length).toBe(new Set(ids).size);
    expect(rejected.length).toBeGreaterThan(0);
    expect(accepted.map((event) => event.properties.distinct_id).sort()).toEqual(
      owners.filter((user) => !rejected.includes(user)).sort(),
    );
  });
});
