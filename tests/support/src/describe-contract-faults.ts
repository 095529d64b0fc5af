import type { BufferedConsumer } from '@cohorly/core';
import { contractFaults } from '@cohorly/testing';
import { describe, expect, it, vi } from 'vitest';
import {
  CONTRACT_FAULT_CASE,
  expectBackedOff,
  expectDeliveredOnceOrDropped,
} from './contract-fault-case.js';
import { createFaultConsumer } from './fault-consumer.js';
import { type FaultScene, useFaultScene } from './fault-scene.js';
import {
  expectNewestDelivered,
  expectOverflowDropped,
  QUEUE_CAP_OUTAGE,
} from './queue-cap-outage.js';

// Long enough that no request times out on a slow machine: a hanging answer's timeout runs
// out only when the test moves the fake timers on (see the hanging row below).
const REQUEST_TIMEOUT_MS = 10_000;

/** An app with the integration under test, as {@link describeContractFaults} drives it. */
export interface MountedIntegration {
  /**
   * Its base URL. `GET /visit/:user` tracks "Visited" with `{ owner: user }` for the user
   * named in the `x-user` header, and answers `{ user }` with 200.
   */
  url: string;
  /** Flushes the client through the integration (joining any flush in progress). */
  flush(): Promise<void>;
}

/**
 * Serves an app with the integration under test on a client using `consumer`; whatever must
 * be closed after the test goes to `defer` (the app before its client: last deferred, first
 * run).
 */
export type MountIntegration = (
  consumer: BufferedConsumer,
  defer: FaultScene['defer'],
) => Promise<MountedIntegration>;

/**
 * Runs an integration end to end through every fault of `contractFaults`, and through an
 * outage that outlasts the queue cap: responses never change, every event tracked within
 * the cap arrives exactly once (by `$insert_id`), and every drop is counted and reported.
 * The client runs on a clock the suite moves, so backoff windows pass without sleeping.
 * Call it inside a `describe` that names the integration.
 */
export function describeContractFaults(mount: MountIntegration): void {
  const scene = useFaultScene();

  async function start(options: { maxSize: number; maxQueueSize?: number }) {
    const time = { now: 1_764_220_000_000 };
    const { consumer, errors, reported } = createFaultConsumer({
      apiHost: scene.server.url,
      maxSize: options.maxSize,
      maxQueueSize: options.maxQueueSize,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      clock: () => time.now,
    });
    const integration = await mount(consumer, scene.defer);
    const visit = async (user: string) => {
      const response = await fetch(`${integration.url}/visit/${user}`, {
        headers: { 'x-user': user },
      });
      return { status: response.status, body: (await response.json()) as unknown };
    };
    /** Flushes until nothing is queued, moving the clock past each backoff window (bounded). */
    const deliver = async () => {
      for (let round = 0; round < 10; round += 1) {
        await integration.flush();
        if (consumer.stats().queued.events === 0) return;
        time.now = Math.max(time.now, consumer.stats().nextAttemptAt);
      }
      throw new Error(`not delivered: ${JSON.stringify(consumer.stats())}`);
    };
    return { integration, consumer, time, errors, visit, reported, deliver };
  }

  // The integrations send batches: a single oversized message ('dropped') is core's own case.
  const batchFaults = contractFaults.filter((row) => row.outcome !== 'dropped');
  describe.each(batchFaults)('after $fault', ({ step, outcome, backoffMs }) => {
    it('answers as usual, then delivers every event once, or drops, counts and reports it', async () => {
      const { integration, consumer, time, errors, visit, reported, deliver } = await start({
        maxSize: CONTRACT_FAULT_CASE.maxSize,
      });
      // Timers are fake (the HTTP traffic stays real), installed once the app is up and
      // removed before it and its client are closed: a hanging answer's request timeout runs
      // out when the test says so, no other request can time out on a slow machine, and the
      // integration's debounced flush cannot send part of the first batch while the visits
      // are still arriving (the first request is the batch the fourth visit filled).
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      scene.defer(() => vi.useRealTimers());
      scene.server.faults.next('/track', step);
      const { users } = CONTRACT_FAULT_CASE;

      const answers = await Promise.all(users.map(visit));

      expect(answers).toEqual(users.map((user) => ({ status: 200, body: { user } })));
      // The first batch meets the fault: it has arrived. (Each check moves the fake timers on
      // by 50 ms, which lets the debounced flushes of the closing responses run.)
      await vi.waitFor(() => expect(scene.server.faults.pending()).toBe(0), { timeout: 10_000 });
      // Nobody answers a hanging one: its request timeout runs out.
      if (step.delayMs) await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS);
      // This flush joins theirs.
      await integration.flush();
      if (outcome === 'retried') {
        expectBackedOff({ consumer, errors, server: scene.server, now: time.now, backoffMs });
      }
      await deliver();

      expectDeliveredOnceOrDropped({ server: scene.server, outcome, consumer, reported });
    });
  });

  it('through an outage beyond the queue cap: drops and reports exactly the overflow, delivers the rest once back', async () => {
    const { maxSize, maxQueueSize, users } = QUEUE_CAP_OUTAGE;
    const { consumer, time, errors, visit, reported, deliver } = await start({
      maxSize,
      maxQueueSize,
    });
    const { port } = scene.server;
    await scene.server.close();

    // One at a time: the order events are tracked in is the order of the users.
    for (const user of users) expect(await visit(user)).toEqual({ status: 200, body: { user } });

    await vi.waitFor(() => expect(consumer.stats().retries).toBeGreaterThan(0), {
      timeout: 10_000,
    });
    expectOverflowDropped(consumer, reported);
    expect(errors.some((error) => error.code === 'network_error')).toBe(true);

    // The server is back on the same port.
    const restarted = await scene.restart(port);
    time.now = consumer.stats().nextAttemptAt;
    await deliver();

    // The oldest ten were dropped; the newest twenty arrived, once each.
    expectNewestDelivered(restarted, consumer);
  });
}
