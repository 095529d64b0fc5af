// The BufferedConsumer end to end through every fault the Cohorly server can answer with, one
// after another and combined with an outage: after recovery, every event tracked within the
// queue cap arrives exactly once (by $insert_id), and every drop is counted and reported.
// Backoff runs on an injected clock; the request timeout on fake timers. No sleeps.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BufferedConsumer, type BufferedConsumerOptions } from '../src/buffered-consumer.js';
import { Cohorly } from '../src/cohorly.js';
import { CohorlyError } from '../src/errors.js';
import {
  type Reply,
  type RestartableServer,
  startRestartableServer,
} from './restartable-server.js';

const REQUEST_TIMEOUT_MS = 5_000;

interface Fault {
  fault: string;
  reply: Reply;
  /** What the consumer does with the batch that met the fault. */
  outcome: 'retried' | 'rejected' | 'halved';
  /** The backoff the fault opens, for those that are retried. */
  backoffMs?: number;
}

// One table for every test of this file.
const FAULTS: Fault[] = [
  {
    fault: '429 with Retry-After: 7',
    reply: { status: 429, headers: { 'Retry-After': '7' } },
    outcome: 'retried',
    backoffMs: 7_000,
  },
  {
    fault: '429 without Retry-After',
    reply: { status: 429 },
    outcome: 'retried',
    backoffMs: 2_000,
  },
  { fault: '500', reply: { status: 500 }, outcome: 'retried', backoffMs: 2_000 },
  { fault: '502', reply: { status: 502 }, outcome: 'retried', backoffMs: 2_000 },
  { fault: '503', reply: { status: 503 }, outcome: 'retried', backoffMs: 2_000 },
  { fault: '401', reply: { status: 401 }, outcome: 'retried', backoffMs: 600_000 },
  { fault: 'a connection reset', reply: { reset: true }, outcome: 'retried', backoffMs: 2_000 },
  {
    fault: 'an answer that hangs past the request timeout',
    reply: { hang: true },
    outcome: 'retried',
    backoffMs: 2_000,
  },
  { fault: '400', reply: { status: 400 }, outcome: 'rejected' },
  { fault: '413 on a batch of several', reply: { status: 413 }, outcome: 'halved' },
];

let server: RestartableServer;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});
beforeEach(async () => {
  // Only the request timeout and close() deadlines use timers; backoff reads `time.now`.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  server = await startRestartableServer();
});
afterEach(async () => {
  vi.useRealTimers();
  await server.stop();
  // Let a stray rejection of the last turn surface before looking.
  await new Promise((resolve) => setImmediate(resolve));
  expect(unhandled).toEqual([]);
});

function setup(options: BufferedConsumerOptions) {
  const time = { now: 1_764_220_000_000 };
  const errors: CohorlyError[] = [];
  const consumer = new BufferedConsumer({
    apiHost: server.url,
    flushIntervalMs: 0,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    clock: () => time.now,
    jitter: () => 0,
    onError: (error) => errors.push(error),
    ...options,
  });
  const client = new Cohorly('T', { consumer });
  const reported = (code: string) =>
    errors.filter((error) => error.code === code).reduce((sum, error) => sum + error.messages, 0);
  return { consumer, client, time, errors, reported };
}

/**
 * One `flush()`, settled: `true`/`false`, or the error it rejected with. A request hanging at
 * the server is ended by the request timeout, on the fake timers.
 */
async function flushOnce(consumer: BufferedConsumer): Promise<boolean | unknown> {
  let settled = false;
  const before = server.requests.length;
  // Only a request of this flush that hangs: its timeout is the one to run out.
  const hung = () => server.requests.slice(before).some((request) => request.answer === 'hang');
  const flushing = consumer.flush().then(
    (drained) => drained,
    (error: unknown) => error,
  );
  void flushing.finally(() => {
    settled = true;
  });
  await vi.waitUntil(() => settled || hung(), { timeout: 10_000 });
  if (!settled) await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS);
  return flushing;
}

/**
 * Flushes until nothing is queued, moving the clock to the end of each backoff window
 * (bounded: a consumer that never drains fails the test).
 */
async function flushThroughBackoff(
  consumer: BufferedConsumer,
  time: { now: number },
): Promise<void> {
  for (let round = 0; round < 20; round += 1) {
    await flushOnce(consumer);
    const { queued, nextAttemptAt } = consumer.stats();
    if (queued.events + queued.people + queued.alias === 0) return;
    time.now = Math.max(time.now, nextAttemptAt);
  }
  throw new Error(`not drained after 20 rounds: ${JSON.stringify(consumer.stats())}`);
}

function expectEachOnce(ids: string[]): void {
  expect(ids.length).toBe(new Set(ids).size);
}

describe.each(FAULTS)('after $fault', ({ reply, outcome, backoffMs }) => {
  it('every event arrives exactly once, or is dropped, counted and reported', async () => {
    const { client, consumer, time, errors, reported } = setup({ maxSize: 4 });
    const users = Array.from({ length: 12 }, (_, i) => `user-${i}`);
    server.script(reply);
    // Not awaited: the first full batch of 4 meets the fault while the rest is queued.
    for (const user of users) void client.track(user, 'Fault Probe', { owner: user });

    const first = await flushOnce(consumer);

    const [faulted] = server.requests;
    expect(faulted?.events).toHaveLength(4);
    if (outcome === 'retried') {
      expect(first).toBe(false);
      expect(consumer.stats().nextAttemptAt - time.now).toBe(backoffMs);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.retryable).toBe(true);
      // Inside the window nothing is sent, however often a flush is asked for.
      time.now += backoffMs! - 1;
      await expect(flushOnce(consumer)).resolves.toBe(false);
      expect(server.requests).toHaveLength(1);
      time.now += 1;
    }
    if (outcome === 'rejected') {
      // The 400 met the automatic flush of the first full batch, not this flush: it is
      // reported through onError (contract 4.2), never through this caller's promise.
      expect(errors).toHaveLength(1);
      expect(CohorlyError.isInstance(errors[0])).toBe(true);
      expect(errors[0]).toMatchObject({ code: 'rejected', status: 400, messages: 4 });
      expect(first).toBe(true);
    }
    if (outcome === 'halved') expect(first).toBe(true);
    await flushThroughBackoff(consumer, time);

    const accepted = server.accepted();
    expectEachOnce(accepted.map((event) => event.insertId));
    const rejected = outcome === 'rejected' ? faulted!.events : [];
    // What was not rejected arrived; what was rejected never did.
    expect([...accepted, ...rejected].map((event) => event.distinctId).sort()).toEqual(
      [...users].sort(),
    );
    for (const event of accepted) expect(event.properties.owner).toBe(event.distinctId);
    expect(consumer.stats()).toMatchObject({
      queued: { events: 0 },
      sent: 12 - rejected.length,
      dropped: { overflow: 0, rejected: rejected.length, oversized: 0 },
    });
    expect(reported('rejected')).toBe(rejected.length);
  });
});

describe('every fault in a row, then an outage beyond the queue cap', () => {
  it('delivers each event within the cap exactly once, and counts each drop exactly', async () => {
    // Batches are sent by the flushes below only (maxSize is never reached).
    const { client, consumer, time, reported } = setup({ maxSize: 50, maxQueueSize: 20 });
    const retried = FAULTS.filter((fault) => fault.outcome === 'retried');
    server.script(...retried.map((fault) => fault.reply));
    const tracked: string[] = [];
    const track = async (user: string) => {
      tracked.push(user);
      await client.track(user, 'Storm', { owner: user });
    };

    // Ten failures in a row, tracking on between them (the queue stays under its cap).
    for (let i = 0; i < retried.length; i += 1) {
      await track(`storm-${i}`);
      await flushOnce(consumer);
      expect(consumer.stats().retries).toBe(i + 1);
      time.now = consumer.stats().nextAttemptAt;
    }
    await flushThroughBackoff(consumer, time);
    expect(server.accepted().map((event) => event.distinctId)).toEqual(tracked);

    // The server goes down; 30 events are tracked against a queue of 20, with a flush that
    // meets the refused port after every 5.
    await server.stop();
    const outage = Array.from({ length: 30 }, (_, i) => `outage-${i}`);
    for (const [i, user] of outage.entries()) {
      await track(user);
      if (i % 5 === 4) {
        await expect(flushOnce(consumer)).resolves.toBe(false);
        time.now = consumer.stats().nextAttemptAt;
      }
    }
    expect(consumer.stats()).toMatchObject({
      queued: { events: 20 },
      dropped: { overflow: 10, rejected: 0, oversized: 0 },
    });
    expect(reported('overflow')).toBe(10);

    // Back, on the same port: the newest 20 arrive once the backoff window has passed.
    await server.start();
    time.now = consumer.stats().nextAttemptAt;
    await flushThroughBackoff(consumer, time);
    const accepted = server.accepted();
    expectEachOnce(accepted.map((event) => event.insertId));
    expect(accepted.map((event) => event.distinctId)).toEqual([
      ...tracked.slice(0, retried.length),
      ...outage.slice(10),
    ]);
    expect(consumer.stats()).toMatchObject({
      sent: retried.length + 20,
      queued: { events: 0 },
      dropped: { overflow: 10 },
    });
    expect(reported('overflow')).toBe(10);
  });
});
