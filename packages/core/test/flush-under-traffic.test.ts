// flush() under steady traffic: messages keep arriving while a flush runs, as they do on a
// busy server. A flush must settle (contract 4.1: every promise settles) and must reach every
// endpoint; it cannot if it keeps sending what arrives after it was called.
//
// KNOWN BUG, reported to the lead: BufferedConsumer's drain-all loop runs `while the queue is
// not empty`, so arrivals during a flush extend it for as long as traffic lasts: `flush()` (and
// everything awaiting it: @cohorly/next's after() deliveries, `analytics.flush()`) does not
// settle, and /engage and /alias wait behind /track. Fix: a flush drains the messages queued
// when it was called (or joined), not later arrivals. Remove `.fails` once fixed.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BufferedConsumer } from '../src/buffered-consumer.js';
import { Cohorly } from '../src/cohorly.js';
import { type HttpFixture, startFixture } from './http-fixture.js';

// Bounded: the traffic stops after this many turns of the event loop, whatever happens.
const MAX_TURNS = 500;

let server: HttpFixture;
beforeEach(async () => {
  server = await startFixture();
});
afterEach(async () => {
  await server.close();
});

/** One event per turn of the event loop until `stop()` holds or MAX_TURNS pass. */
async function steadyTraffic(client: Cohorly, stop: () => boolean): Promise<number> {
  let turns = 0;
  for (; turns < MAX_TURNS && !stop(); turns += 1) {
    void client.track(`visitor-${turns}`, 'Page Viewed');
    await new Promise((resolve) => setImmediate(resolve));
  }
  return turns;
}

function setup() {
  const consumer = new BufferedConsumer({ apiHost: server.url, flushIntervalMs: 0 });
  return { consumer, client: new Cohorly('T', { consumer }) };
}

it('flush() settles while messages keep arriving', async () => {
  const { consumer, client } = setup();
  await client.track('me', 'Signed Up');
  let settled = false;
  const flushing = consumer.flush().finally(() => {
    settled = true;
  });

  const turns = await steadyTraffic(client, () => settled);

  await flushing;
  expect(turns).toBeLessThan(MAX_TURNS);
});

it('flush() reaches /engage while /track traffic goes on', async () => {
  const { consumer, client } = setup();
  await client.track('me', 'Signed Up');
  await client.peopleSet('me', { plan: 'pro' });
  void consumer.flush();

  const turns = await steadyTraffic(client, () =>
    server.requests.some((request) => request.path === '/engage'),
  );

  expect(turns).toBeLessThan(MAX_TURNS);
});
