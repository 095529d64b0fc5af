// trackServer() through every fault the Cohorly server can answer with, and through an outage
// that outlasts the queue cap: it never throws or rejects, every event tracked within the cap
// arrives exactly once (by $insert_id), and every drop is counted and reported. Outside a
// request scope, as in scripts and jobs; the request scope (after()) is exercised by the
// example app's tests. Time is fake (Date and timers), so backoff windows pass at once.
import { BufferedConsumer, Cohorly, type CohorlyError } from '@cohorly/core';
import { contractFaults, startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CohorlyServer } from './cohorly-server.js';
import { createCohorlyServer } from './create-cohorly-server.js';

const REQUEST_TIMEOUT_MS = 3_000;

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

/** Lets real I/O run until `done()` holds; bounded. */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 50_000 && !done(); turn++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (!done()) throw new Error('condition not reached');
}

let cohorlyServer: TestServer;
const servers: TestServer[] = [];
const created: CohorlyServer[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeEach(async () => {
  cohorlyServer = await startTestServer();
  servers.push(cohorlyServer);
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
  // Date too: the consumer's backoff and trackServer's delivery deadline read Date.now().
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(created.splice(0).map((cohorly) => cohorly.close({ timeoutMs: 0 })));
  await Promise.all(servers.splice(0).map((server) => server.close()));
  delete (globalThis as Record<symbol, unknown>)[Symbol.for('@cohorly/next/process-state@1')];
  // Let a stray rejection of the last turn surface before the listener goes.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

/** A server tracking with a client of ours (no jitter), reporting to `errors`. */
function start(options: {
  maxSize: number;
  maxQueueSize?: number;
  waitUntil?: (promise: Promise<unknown>) => void;
}) {
  const errors: CohorlyError[] = [];
  const consumer = new BufferedConsumer({
    apiHost: cohorlyServer.url,
    maxSize: options.maxSize,
    maxQueueSize: options.maxQueueSize,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    flushIntervalMs: 0,
    jitter: () => 0,
    onError: (error) => errors.push(error),
  });
  const cohorly = createCohorlyServer({
    client: new Cohorly('T', { consumer }),
    waitUntil: options.waitUntil,
    // Flush rejections of a client we gave are reported here too; the client's own
    // onError above is the one that counts.
    onError: () => undefined,
  });
  created.push(cohorly);
  const reported = (code: string) =>
    errors.filter((error) => error.code === code).reduce((sum, error) => sum + error.messages, 0);
  const queued = () => consumer.stats().queued.events;
  return { cohorly, consumer, errors, reported, queued };
}

describe.each(contractFaults)('trackServer() after $fault', ({ step, outcome, backoffMs }) => {
  it('never rejects, then delivers every event once, or drops, counts and reports it', async () => {
    const { cohorly, consumer, errors, reported, queued } = start({ maxSize: 4 });
    cohorlyServer.faults.next('/track', step);
    const users = Array.from({ length: 12 }, (_, i) => `user-${i}`);

    const tracking = Promise.all(
      users.map((user) => cohorly.trackServer('Visited', { owner: user }, { distinctId: user })),
    );
    await until(() => cohorlyServer.faults.pending() === 0);
    if (step.delayMs) await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS);
    if (outcome === 'retried') {
      await until(() => errors.length > 0);
      expect(consumer.stats().nextAttemptAt - Date.now()).toBe(backoffMs);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.retryable).toBe(true);
      expect(cohorlyServer.events()).toEqual([]);
      // The window ends: deliveries still waiting go on, and a flush delivers what the
      // ones that gave up at flushTimeoutMs kept.
      await vi.advanceTimersByTimeAsync(backoffMs!);
    }
    await expect(tracking).resolves.toEqual(users.map(() => undefined));
    if (queued() > 0) await cohorly.flush();

    const [faulted] = cohorlyServer.requests();
    expect(faulted?.json).toHaveLength(4);
    expect(queued()).toBe(0);
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

describe('trackServer() through an outage beyond the queue cap', () => {
  it('never rejects, drops and reports exactly the overflow, and delivers the rest once back', async () => {
    // As in a serverless function: each call resolves once queued, its delivery is kept alive
    // by waitUntil (refused, then waiting for the backoff window to end).
    const deliveries: Promise<unknown>[] = [];
    const { cohorly, consumer, errors, reported, queued } = start({
      maxSize: 5,
      maxQueueSize: 20,
      waitUntil: (promise) => deliveries.push(promise),
    });
    const { port } = cohorlyServer;
    await cohorlyServer.close();
    const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);

    // One at a time: the order events are tracked in is the order of the users.
    for (const user of users) {
      await expect(
        cohorly.trackServer('Visited', { owner: user }, { distinctId: user }),
      ).resolves.toBeUndefined();
    }
    await until(() => errors.some((error) => error.code === 'network_error'));

    expect(consumer.stats()).toMatchObject({
      sent: 0,
      queued: { events: 20 },
      dropped: { overflow: 10, rejected: 0, oversized: 0 },
    });
    expect(reported('overflow')).toBe(10);

    // The server is back on the same port, and the backoff window has passed.
    const restarted = await startTestServer({ port });
    servers.push(restarted);
    await vi.advanceTimersByTimeAsync(consumer.stats().nextAttemptAt - Date.now());
    await Promise.all(deliveries);
    await cohorly.flush();

    expect(queued()).toBe(0);
    const accepted = eventsAnswered(restarted, 200);
    const ids = accepted.map((event) => event.properties.$insert_id);
    expect(ids.length).toBe(new Set(ids).size);
    // The oldest ten were dropped; the newest twenty arrived, once each.
    expect(accepted.map((event) => event.properties.distinct_id)).toEqual(users.slice(10));
    expect(consumer.stats()).toMatchObject({ sent: 20, dropped: { overflow: 10 } });
  });
});
