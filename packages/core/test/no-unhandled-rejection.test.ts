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
    for (let i = 0; i < 5; i++) client.track('u', `E${i}`); // not awaited, on purpose
    void consumer.flush().catch(() => undefined);
    now += 700_000;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  server.always(undefined);
  await consumer.close({ timeoutMs: 1000 });
  // Give any stray rejection the turns it needs to surface.
  await new Promise((resolve) => setTimeout(resolve, 50));
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
  // Give a stray rejection the turns it needs to surface.
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  expect(reports).toBe(1);
  expect(server.json('/track')).toHaveLength(2);
  expect(unhandled).toEqual([]);
});
