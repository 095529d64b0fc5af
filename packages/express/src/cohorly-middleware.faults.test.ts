// cohorly() end to end through every fault the Cohorly server can answer with, and through an
// outage that outlasts the queue cap: responses never change, every event tracked within the
// cap arrives exactly once (by $insert_id), and every drop is counted and reported. The
// client is handed in with an injected clock, so backoff windows pass without sleeping.
import { BufferedConsumer, Cohorly, type CohorlyError } from '@cohorly/core';
import { contractFaults, startTestServer, type TestServer } from '@cohorly/testing';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Served, serve, TOKEN } from '../test/harness.js';
import { type CohorlyMiddleware, cohorly } from './index.js';

// Hanging answers end with the client's request timeout, the one real wait of this file.
const HANG_TIMEOUT_MS = 1_000;

interface SentEvent {
  event: string;
  properties: { distinct_id: string; $insert_id: string; owner?: string };
}

/** The events of the `/track` requests `server` answered with `status`. */
function eventsAnswered(server: TestServer, status: number): SentEvent[] {
  return server
    .requests()
    .filter((request) => request.path === '/track' && request.status === status)
    .flatMap((request) => request.json as SentEvent[]);
}

let cohorlyServer: TestServer;
const servers: TestServer[] = [];
const apps: Served[] = [];
const middlewares: CohorlyMiddleware[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeEach(async () => {
  cohorlyServer = await startTestServer();
  servers.push(cohorlyServer);
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await Promise.all(middlewares.splice(0).map((analytics) => analytics.close({ timeoutMs: 0 })));
  await Promise.all(servers.splice(0).map((server) => server.close()));
  // Let a stray rejection of the last turn surface before the listener goes.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

/** An Express app with `cohorly({ client })`, the client on a clock the test moves. */
async function start(options: { maxSize: number; maxQueueSize?: number; timeoutMs?: number }) {
  const time = { now: 1_764_220_000_000 };
  const errors: CohorlyError[] = [];
  const consumer = new BufferedConsumer({
    apiHost: cohorlyServer.url,
    maxSize: options.maxSize,
    maxQueueSize: options.maxQueueSize,
    requestTimeoutMs: options.timeoutMs,
    flushIntervalMs: 0,
    clock: () => time.now,
    jitter: () => 0,
    onError: (error) => errors.push(error),
  });
  const analytics = cohorly({
    client: new Cohorly(TOKEN, { consumer }),
    identify: (req) => req.get('x-user'),
    // Flush rejections of a client we gave are reported here too; the client's own
    // onError above is the one that counts.
    onError: () => undefined,
  });
  middlewares.push(analytics);
  const app = express();
  app.use(analytics);
  app.get('/visit/:user', (req, res) => {
    void req.cohorly.track('Visited', { owner: req.params.user });
    res.json({ user: req.params.user });
  });
  const served = await serve(app);
  apps.push(served);
  const visit = async (user: string) => {
    const response = await fetch(`${served.url}/visit/${user}`, { headers: { 'x-user': user } });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const reported = (code: string) =>
    errors.filter((error) => error.code === code).reduce((sum, error) => sum + error.messages, 0);
  /** Flushes until nothing is queued, moving the clock past each backoff window (bounded). */
  const deliver = async () => {
    for (let round = 0; round < 10; round += 1) {
      await analytics.flush();
      if (consumer.stats().queued.events === 0) return;
      time.now = Math.max(time.now, consumer.stats().nextAttemptAt);
    }
    throw new Error(`not delivered: ${JSON.stringify(consumer.stats())}`);
  };
  return { analytics, consumer, time, errors, visit, reported, deliver };
}

describe.each(contractFaults)('cohorly() after $fault', ({ step, outcome, backoffMs }) => {
  it('answers as usual, then delivers every event once, or drops, counts and reports it', async () => {
    const { analytics, consumer, time, errors, visit, reported, deliver } = await start({
      maxSize: 4,
      timeoutMs: step.delayMs ? HANG_TIMEOUT_MS : undefined,
    });
    cohorlyServer.faults.next('/track', step);
    const users = Array.from({ length: 12 }, (_, i) => `user-${i}`);

    const answers = await Promise.all(users.map(visit));

    expect(answers).toEqual(users.map((user) => ({ status: 200, body: { user } })));
    // The flushes of the closing responses meet the fault; this flush joins them (and a
    // hanging answer's request timeout).
    await vi.waitFor(() => expect(cohorlyServer.faults.pending()).toBe(0), { timeout: 10_000 });
    await analytics.flush();
    const [faulted] = cohorlyServer.requests();
    expect(faulted?.json).toHaveLength(4);
    if (outcome === 'retried') {
      expect(consumer.stats().nextAttemptAt - time.now).toBe(backoffMs);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.retryable).toBe(true);
      expect(cohorlyServer.events()).toEqual([]);
    }
    await deliver();

    const accepted = eventsAnswered(cohorlyServer, 200);
    const ids = accepted.map((event) => event.properties.$insert_id);
    expect(ids.length).toBe(new Set(ids).size);
    const rejected = outcome === 'rejected' ? (faulted!.json as SentEvent[]) : [];
    expect([...accepted, ...rejected].map((event) => event.properties.distinct_id).sort()).toEqual(
      [...users].sort(),
    );
    for (const event of accepted) expect(event.properties.owner).toBe(event.properties.distinct_id);
    expect(consumer.stats()).toMatchObject({
      sent: users.length - rejected.length,
      dropped: { overflow: 0, rejected: rejected.length, oversized: 0 },
    });
    expect(reported('rejected')).toBe(rejected.length);
  });
});

describe('cohorly() through an outage beyond the queue cap', () => {
  it('answers as usual, drops and reports exactly the overflow, and delivers the rest once back', async () => {
    const { consumer, time, errors, visit, reported, deliver } = await start({
      maxSize: 5,
      maxQueueSize: 20,
    });
    const { port } = cohorlyServer;
    await cohorlyServer.close();
    const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);

    // One at a time: the order events are tracked in is the order of the users.
    for (const user of users) expect(await visit(user)).toEqual({ status: 200, body: { user } });

    await vi.waitFor(() => expect(consumer.stats().retries).toBeGreaterThan(0), {
      timeout: 10_000,
    });
    expect(consumer.stats()).toMatchObject({
      sent: 0,
      queued: { events: 20 },
      dropped: { overflow: 10, rejected: 0, oversized: 0 },
    });
    expect(reported('overflow')).toBe(10);
    expect(errors.some((error) => error.code === 'network_error')).toBe(true);

    // The server is back on the same port.
    const restarted = await startTestServer({ port });
    servers.push(restarted);
    time.now = consumer.stats().nextAttemptAt;
    await deliver();

    const accepted = eventsAnswered(restarted, 200);
    const ids = accepted.map((event) => event.properties.$insert_id);
    expect(ids.length).toBe(new Set(ids).size);
    // The oldest ten were dropped; the newest twenty arrived, once each.
    expect(accepted.map((event) => event.properties.distinct_id)).toEqual(users.slice(10));
    expect(consumer.stats()).toMatchObject({ sent: 20, dropped: { overflow: 10 } });
  });
});
