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
