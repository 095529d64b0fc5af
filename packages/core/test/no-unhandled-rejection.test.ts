import { afterEach, beforeEach, expect, it } from 'vitest';
import { BufferedConsumer } from '../src/buffered-consumer.js';
import { Cohorly } from '../src/cohorly.js';
import { type HttpFixture, startFixture } from './http-fixture.js';

let server: HttpFixture;
const unhandled: unknown[] = [];
const listener = (reason: unknown) => unhandled.push(reason);
beforeEach(async () => {
  server = await startFixture();
  unhandled.length = 0;
  process.on('unhandledRejection', listener);
});
afterEach(async () => {
  process.off('unhandledRejection', listener);
  await server.close();
});

/**
 * Every request has settled by the time this is called. Node reports an unhandled rejection
 * once the microtasks of the turn it happened in have run: a few turns of the event loop let
 * one that a settled request set off reach the listener (bounded, no wall-clock wait).
 */
async function strayRejectionsSurfaced(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

it('fire-and-forget tracking against a failing server raises no unhandledRejection', async () => {
  let now = 0;
  const errors: unknown[] = [];
  const consumer = new BufferedConsumer({
    apiHost: server.url,
    maxSize: 2,
    flushIntervalMs: 0,
    clock: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    onError: (error) => errors.push(error),
  });
  const client = new Cohorly('T', { consumer });
  const failures = [
    { status: 500 },
    { status: 400 },
    { reset: true as const },
    { status: 413 },
    { status: 401 },
  ];
  for (const failure of failures) {
    server.always(failure);
    const before = server.requests.length;
    // Not awaited where they are made, as fire-and-forget code does; collected only to know
    // when this failure has been met. track() never rejects for delivery, so awaiting them
    // fails exactly where a fire-and-forget caller would get an unhandledRejection.
    const tracked: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) tracked.push(client.track('u', `E${i}`));
    // flush() rejects when the server rejected a batch (400): that is its documented answer.
    const flushed = consumer.flush().catch(() => undefined);
    await Promise.all([...tracked, flushed]);
    // The server answered with this failure, rather than the next one.
    expect(server.requests.length).toBeGreaterThan(before);
    // Past any backoff window (401's is the longest, 600 s), so the next failure is met.
    now += 700_000;
  }
  server.always(undefined);
  const report = await consumer.close({ timeoutMs: 1000 });
  expect(report).toMatchObject({ drained: true, undelivered: 0 });
  await strayRejectionsSurfaced();
  expect(errors.length).toBeGreaterThan(0);
  expect(unhandled).toEqual([]);
});

it('an async onError that rejects raises no unhandledRejection, and delivery goes on', async () => {
  let now = 0;
  let reports = 0;
  const consumer = new BufferedConsumer({
    apiHost: server.url,
    flushIntervalMs: 0,
    clock: () => now,
    onError: async () => {
      reports += 1;
      throw new Error('log shipper down');
    },
  });
  const client = new Cohorly('T', { consumer });
  server.script({ status: 503 });
  await client.track('u', 'A');
  await expect(consumer.flush()).resolves.toBe(false);
  now += 700_000;
  await expect(consumer.flush()).resolves.toBe(true);
  await strayRejectionsSurfaced();
  expect(reports).toBe(1);
  expect(server.json('/track')).toHaveLength(2);
  expect(unhandled).toEqual([]);
});
