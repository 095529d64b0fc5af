// trackServer() through every fault the Cohorly server can answer with, and through an outage
// that outlasts the queue cap: it never throws or rejects, every event tracked within the cap
// arrives exactly once (by $insert_id), and every drop is counted and reported. Outside a
// request scope, as in scripts and jobs; the request scope (after()) is exercised by the
// example app's tests. Time is fake (Date and timers), so backoff windows pass at once. The
// cases and their checks are those of the Express and NestJS suites (@cohorly/test-support).
import { Cohorly } from '@cohorly/core';
import { contractFaults } from '@cohorly/testing';
import {
  CONTRACT_FAULT_CASE,
  createFaultConsumer,
  expectBackedOff,
  expectDeliveredOnceOrDropped,
  expectNewestDelivered,
  expectOverflowDropped,
  QUEUE_CAP_OUTAGE,
  useFaultScene,
} from '@cohorly/test-support';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createCohorlyServer } from './create-cohorly-server.js';

const REQUEST_TIMEOUT_MS = 3_000;

/** Lets real I/O run until `done()` holds; bounded. */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 50_000 && !done(); turn++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (!done()) throw new Error('condition not reached');
}

// Date too: the consumer's backoff and trackServer's delivery deadline read Date.now().
const scene = useFaultScene({ fakeTimers: { toFake: ['setTimeout', 'clearTimeout', 'Date'] } });
beforeEach(() => {
  // Deferred before the test's own closes, so it runs after them: the next test starts
  // without this one's process-wide state.
  scene.defer(() => {
    delete (globalThis as Record<symbol, unknown>)[Symbol.for('@cohorly/next/process-state@1')];
  });
});

/** A server tracking with a client of ours (no jitter), reporting to `errors`. */
function start(options: {
  maxSize: number;
  maxQueueSize?: number;
  waitUntil?: (promise: Promise<unknown>) => void;
}) {
  const { consumer, errors, reported } = createFaultConsumer({
    apiHost: scene.server.url,
    maxSize: options.maxSize,
    maxQueueSize: options.maxQueueSize,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  const cohorly = createCohorlyServer({
    client: new Cohorly('T', { consumer }),
    waitUntil: options.waitUntil,
    // Flush rejections of a client we gave are reported here too; the client's own
    // onError is the one that counts.
    onError: () => undefined,
  });
  scene.defer(() => cohorly.close({ timeoutMs: 0 }));
  const queued = () => consumer.stats().queued.events;
  return { cohorly, consumer, errors, reported, queued };
}

// These send batches: a single oversized message ('dropped') is core's own case.
const batchFaults = contractFaults.filter((row) => row.outcome !== 'dropped');

describe.each(batchFaults)('trackServer() after $fault', ({ step, outcome, backoffMs }) => {
  it('never rejects, then delivers every event once, or drops, counts and reports it', async () => {
    const { cohorly, consumer, errors, reported, queued } = start({
      maxSize: CONTRACT_FAULT_CASE.maxSize,
    });
    scene.server.faults.next('/track', step);
    const { users } = CONTRACT_FAULT_CASE;

    const tracking = Promise.all(
      users.map((user) => cohorly.trackServer('Visited', { owner: user }, { distinctId: user })),
    );
    await until(() => scene.server.faults.pending() === 0);
    if (step.delayMs) await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS);
    if (outcome === 'retried') {
      await until(() => errors.length > 0);
      expectBackedOff({ consumer, errors, server: scene.server, now: Date.now(), backoffMs });
      // The window ends: deliveries still waiting go on, and a flush delivers what the
      // ones that gave up at flushTimeoutMs kept.
      await vi.advanceTimersByTimeAsync(backoffMs!);
    }
    await expect(tracking).resolves.toEqual(users.map(() => undefined));
    if (queued() > 0) await cohorly.flush();

    expect(queued()).toBe(0);
    expectDeliveredOnceOrDropped({ server: scene.server, outcome, consumer, reported });
  });
});

describe('trackServer() through an outage beyond the queue cap', () => {
  it('never rejects, drops and reports exactly the overflow, and delivers the rest once back', async () => {
    // As in a serverless function: each call resolves once queued, its delivery is kept alive
    // by waitUntil (refused, then waiting for the backoff window to end).
    const deliveries: Promise<unknown>[] = [];
    const { maxSize, maxQueueSize, users } = QUEUE_CAP_OUTAGE;
    const { cohorly, consumer, errors, reported, queued } = start({
      maxSize,
      maxQueueSize,
      waitUntil: (promise) => deliveries.push(promise),
    });
    const { port } = scene.server;
    await scene.server.close();

    // One at a time: the order events are tracked in is the order of the users.
    for (const user of users) {
      await expect(
        cohorly.trackServer('Visited', { owner: user }, { distinctId: user }),
      ).resolves.toBeUndefined();
    }
    await until(() => errors.some((error) => error.code === 'network_error'));

    expectOverflowDropped(consumer, reported);

    // The server is back on the same port, and the backoff window has passed.
    const restarted = await scene.restart(port);
    await vi.advanceTimersByTimeAsync(consumer.stats().nextAttemptAt - Date.now());
    await Promise.all(deliveries);
    await cohorly.flush();

    expect(queued()).toBe(0);
    // The oldest ten were dropped; the newest twenty arrived, once each.
    expectNewestDelivered(restarted, consumer);
  });
});
