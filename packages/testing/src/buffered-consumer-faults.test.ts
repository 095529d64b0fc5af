// @cohorly/core's consumers delivering through every fault script of the test server: after
// the server recovers, every message must arrive, and every event exactly once.
import {
  BufferedConsumer,
  Cohorly,
  type CohorlyError,
  Consumer,
  type CohorlyConsumer,
} from '@cohorly/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FaultStep } from './fault-injector.js';
import { startTestServer, type TestServer, type TestServerOptions } from './test-server.js';

const EVENTS = 20;
const REQUEST_TIMEOUT_MS = 5_000;
let now = 0;
const clock = () => now;
let server: TestServer;
let consumer: BufferedConsumer;
let client: Cohorly;
let errors: CohorlyError[];

async function setUp(serverOptions: TestServerOptions = {}): Promise<void> {
  server = await startTestServer({ clock, ...serverOptions });
  errors = [];
  consumer = new BufferedConsumer({
    apiHost: server.url,
    maxSize: 50,
    flushIntervalMs: 0,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    clock,
    jitter: () => 0,
    onError: (error) => errors.push(error),
  });
  client = new Cohorly('T', { consumer });
}

beforeEach(() => {
  now = 1_764_220_000_000;
});

afterEach(async () => {
  // Before close(), whose deadline is a timer.
  vi.useRealTimers();
  await consumer?.close({ timeoutMs: 0 });
  await server?.close();
});

/** Queues EVENTS events, a profile update and an alias (all below maxSize: nothing sent yet). */
async function queueMessages(): Promise<void> {
  for (let i = 0; i < EVENTS; i += 1) await client.track(`user-${i}`, 'Step', { i });
  await client.peopleSet('user-0', { plan: 'pro' });
  await client.alias('anon-0', 'user-0');
  expect(server.requests()).toEqual([]);
}

/**
 * Flushes until drained, moving the fake clock to the end of each backoff window in between
 * (bounded: a consumer that never drains fails the test).
 * @returns how many flushes came back "not drained".
 */
async function flushThroughBackoff(maxRounds = 10): Promise<number> {
  for (let round = 0; round < maxRounds; round += 1) {
    if (await consumer.flush()) return round;
    const { nextAttemptAt } = consumer.stats();
    expect(nextAttemptAt).toBeGreaterThan(now);
    // A flush inside the window sends nothing.
    const before = server.requests().length;
    now = nextAttemptAt - 1;
    expect(await consumer.flush()).toBe(false);
    expect(server.requests()).toHaveLength(before);
    now = nextAttemptAt;
  }
  throw new Error(`not drained after ${maxRounds} rounds: ${JSON.stringify(consumer.stats())}`);
}

function expectEverythingOnce(): void {
  expect(server.events().map((event) => event.properties.i)).toEqual(
    Array.from({ length: EVENTS }, (_, i) => i),
  );
  const insertIds = new Set(server.events().map((event) => event.insertId));
  expect(insertIds.size).toBe(EVENTS);
  expect(server.profiles()).toMatchObject([{ distinctId: 'user-0', properties: { plan: 'pro' } }]);
  expect(server.aliases()).toMatchObject([{ alias: 'anon-0', distinctId: 'user-0' }]);
  expect(consumer.stats()).toMatchObject({
    queued: { events: 0, people: 0, alias: 0 },
    sent: EVENTS + 2,
    dropped: { overflow: 0, rejected: 0, oversized: 0 },
    nextAttemptAt: 0,
  });
}

function trackRequests() {
  return server.requests().filter((request) => request.path === '/track');
}

describe('BufferedConsumer through fault scripts', () => {
  it('503, 503: backs off 2 s then 4 s, then delivers', async () => {
    await setUp();
    server.faults.next('/track', [{ status: 503 }, { status: 503 }]);
    await queueMessages();
    const start = now;
    expect(await consumer.flush()).toBe(false);
    expect(consumer.stats().nextAttemptAt).toBe(start + 2_000);
    expect(await flushThroughBackoff()).toBe(2);
    expect(now).toBe(start + 2_000 + 4_000);
    expectEverythingOnce();
    expect(trackRequests().map((r) => r.status)).toEqual([503, 503, 200]);
    expect(errors.map((e) => e.status)).toEqual([503, 503]);
  });

  it('429 with Retry-After: 3 waits exactly 3 s', async () => {
    await setUp();
    server.faults.next('/track', { status: 429, headers: { 'Retry-After': '3' } });
    await queueMessages();
    const start = now;
    expect(await consumer.flush()).toBe(false);
    expect(consumer.stats().nextAttemptAt).toBe(start + 3_000);
    expect(await flushThroughBackoff()).toBe(1);
    expectEverythingOnce();
  });

  it('a hanging answer: the client times out, retries, and deduplication keeps one copy', async () => {
    // The request timeout runs on fake timers (the HTTP traffic is real): no real wait, and
    // the retry's own timeout cannot run out on a slow machine and add a request.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await setUp();
    server.faults.next('/track', { delayMs: 15_000 });
    await queueMessages();
    const start = now;
    const flushing = consumer.flush();
    // The batch has arrived and hangs; only then does its timeout run out.
    await vi.waitUntil(() => trackRequests().length === 1, { timeout: 10_000 });
    await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS);
    expect(await flushing).toBe(false);
    expect(consumer.stats().nextAttemptAt).toBe(start + 2_000);
    // One flush inside the window (it sends nothing), then the retry delivers.
    expect(await flushThroughBackoff()).toBe(1);
    expectEverythingOnce();
    // Both attempts carried the same batch; the server stored it on the first.
    const [first, second, ...more] = trackRequests();
    expect(first?.status).toBeNull();
    expect(second).toMatchObject({ status: 200, body: first?.body });
    expect(more).toEqual([]);
    expect(errors.map((error) => error.code)).toEqual(['timeout']);
  });

  it('a dropped connection: the client retries after backoff', async () => {
    await setUp();
    server.faults.next('/track', { drop: true });
    await queueMessages();
    expect(await flushThroughBackoff()).toBe(1);
    expectEverythingOnce();
    expect(errors[0]?.code).toBe('network_error');
  });

  it('stored, but the answer lost (drop or 500): the retry is deduplicated', async () => {
    await setUp();
    const lost: FaultStep[] = [
      { drop: true, store: true },
      { status: 500, store: true },
    ];
    server.faults.next('/track', lost);
    await queueMessages();
    expect(await flushThroughBackoff()).toBe(2);
    expect(trackRequests()).toHaveLength(3);
    expectEverythingOnce();
  });

  it('failFor("*", 10 s): every endpoint recovers once the window ends', async () => {
    await setUp();
    const start = now;
    server.faults.failFor('*', 10_000);
    await queueMessages();
    // Backoff 2 s, 4 s, 8 s: the third retry, 14 s in, is past the window.
    expect(await flushThroughBackoff()).toBe(3);
    expect(now).toBe(start + 14_000);
    expectEverythingOnce();
  });

  it('a rate limit of 1 request per second: 429s until each endpoint gets its turn', async () => {
    await setUp({ rateLimit: { requests: 1 } });
    await queueMessages();
    expect(await flushThroughBackoff()).toBe(2);
    expectEverythingOnce();
    expect(server.requests().map((r) => [r.path, r.status])).toEqual([
      ['/track', 200],
      ['/engage', 429],
      ['/engage', 200],
      ['/alias', 429],
      ['/alias', 200],
    ]);
  });

  it('a body cap: 413 halves the batch until it fits', async () => {
    await setUp({ maxBodyBytes: 2_000 });
    await queueMessages();
    expect(await consumer.flush()).toBe(true);
    expectEverythingOnce();
    const [tooLarge, ...rest] = trackRequests();
    expect(tooLarge?.status).toBe(413);
    // Every batch after the halving fitted under the cap and was accepted.
    expect(rest.length).toBeGreaterThan(1);
    for (const request of rest) {
      expect(request.status).toBe(200);
      expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(2_000);
    }
  });
});

describe('Consumer (synchronous) through a fault script', () => {
  it('retries 503 inline with the injected sleep, and the event arrives once', async () => {
    server = await startTestServer({ clock });
    const slept: number[] = [];
    const sync: CohorlyConsumer = new Consumer({
      apiHost: server.url,
      clock,
      jitter: () => 0,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    const syncClient = new Cohorly('T', { consumer: sync });
    server.faults.next('/track', [{ status: 503 }, { drop: true, store: true }]);
    await syncClient.track('user-1', 'Signed Up', { plan: 'pro' });
    expect(slept).toEqual([2_000, 4_000]);
    expect(server.events()).toMatchObject([{ event: 'Signed Up', properties: { plan: 'pro' } }]);
    // The synchronous consumer sends the object itself, never an array.
    expect(server.requests().every((r) => !Array.isArray(r.json))).toBe(true);
  });
});
