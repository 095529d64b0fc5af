import { BufferedConsumer, Cohorly } from '@cohorly/core';
import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { CohorlyServer } from './cohorly-server.js';
import { createCohorlyServer } from './create-cohorly-server.js';

// A busy server: other requests keep queueing messages while one request's delivery runs.
// That delivery must end once its own messages are delivered, not wait for a moment when the
// process-wide queue happens to be empty, which under steady traffic never comes: each
// request's after() work would last flushTimeoutMs and report a failure that is none.

let server: TestServer;
let cohorly: CohorlyServer | undefined;
let client: Cohorly | undefined;

beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await cohorly?.close({ timeoutMs: 1000 });
  await client?.close({ timeoutMs: 1000 });
  await server.close();
  delete (globalThis as Record<symbol, unknown>)[Symbol.for('@cohorly/next/process-state@1')];
});

it('ends once the messages queued before it are delivered, though others arrived meanwhile', async () => {
  let arrivals = 0;
  // Another request queues a message while each delivery is on the wire.
  const consumer = new BufferedConsumer({
    apiHost: server.url,
    flushIntervalMs: 0,
    fetch: (input, init) => {
      arrivals += 1;
      void own.track(`other-${arrivals}`, 'Theirs');
      return fetch(input, init);
    },
  });
  client = new Cohorly('T', { consumer });
  const own = client;
  const errors: unknown[] = [];
  cohorly = createCohorlyServer({ client, flushTimeoutMs: 60_000, onError: (e) => errors.push(e) });

  // Outside a request: the promise resolves once the event is delivered.
  await cohorly.trackServer('Mine', {}, { distinctId: 'me' });

  expect(server.events({ event: 'Mine' })).toHaveLength(1);
  // One request was enough: the later arrival is for the delivery of whoever queued it.
  expect(arrivals).toBe(1);
  expect(consumer.stats().queued.events).toBe(1);
  expect(errors).toEqual([]);
});

it('ends a delivery once its messages are delivered, while requests keep coming', async () => {
  const errors: unknown[] = [];
  const deliveries: Promise<unknown>[] = [];
  cohorly = createCohorlyServer({
    token: 'T',
    apiHost: server.url,
    // As a serverless function keeps each request's delivery alive.
    waitUntil: (promise) => deliveries.push(promise),
    flushTimeoutMs: 60_000,
    onError: (error) => errors.push(error),
  });
  await cohorly.trackServer('Mine', {}, { distinctId: 'me' });
  let delivered = false;
  void deliveries[0]!.then(() => {
    delivered = true;
  });

  // Other requests, one per turn of the event loop, each with a delivery of its own (bounded).
  let turns = 0;
  for (; turns < 500 && !delivered; turns += 1) {
    void cohorly.trackServer('Theirs', {}, { distinctId: `other-${turns}` });
    await new Promise((resolve) => setImmediate(resolve));
  }

  expect(delivered).toBe(true);
  expect(server.events({ event: 'Mine' })).toHaveLength(1);
  expect(errors).toEqual([]);
});
