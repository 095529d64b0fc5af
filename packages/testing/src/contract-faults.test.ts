// Each contractFaults row through a real BufferedConsumer and the test server: the outcome and
// backoff a row documents must be what the client does.
import { BufferedConsumer, Cohorly, type CohorlyError } from '@cohorly/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useTestServers } from '../test/use-test-servers.js';
import { contractFaults } from './contract-faults.js';

const start = useTestServers();
const REQUEST_TIMEOUT_MS = 10_000;
const consumers: BufferedConsumer[] = [];

afterEach(async () => {
  // Before close(), whose deadline is a timer.
  vi.useRealTimers();
  await Promise.all(consumers.splice(0).map((consumer) => consumer.close({ timeoutMs: 0 })));
});

describe('contractFaults', () => {
  it('names both 413 cases: a batch of several is halved, a single message dropped', () => {
    expect(
      contractFaults
        .filter((row) => row.step.status === 413)
        .map(({ fault, outcome }) => [fault, outcome]),
    ).toEqual([
      ['413 on a batch of several', 'halved'],
      ['413 on a single message', 'dropped'],
    ]);
  });

  describe.each(contractFaults)('$fault', ({ fault, step, outcome, backoffMs }) => {
    it(`is ${outcome}${backoffMs === undefined ? '' : ` with a backoff of ${backoffMs} ms`}`, async () => {
      // Only the request timeout's timers are fake (the HTTP traffic is real): a hanging
      // answer ends when the test moves them on.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      let now = 1_764_220_000_000;
      const s = await start({ clock: () => now });
      const errors: CohorlyError[] = [];
      const consumer = new BufferedConsumer({
        apiHost: s.url,
        flushIntervalMs: 0,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        clock: () => now,
        jitter: () => 0,
        onError: (error) => errors.push(error),
      });
      consumers.push(consumer);
      const client = new Cohorly('T', { consumer });
      // The 'dropped' row is about a request of one message; the others meet a batch of four.
      const count = outcome === 'dropped' ? 1 : 4;
      for (let i = 0; i < count; i += 1) await client.track(`user-${i}`, 'Step', { i });
      s.faults.next('/track', step);
      const batches = () => s.requests().map((request) => (request.json as unknown[]).length);

      const flushing = consumer.flush();
      if (step.delayMs) {
        // The batch has arrived and hangs; only then does the client's timeout run out.
        await vi.waitUntil(() => s.requests()[0]?.json !== undefined, { timeout: 10_000 });
        await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS);
      }
      switch (outcome) {
        case 'retried':
          expect(await flushing, fault).toBe(false);
          expect(consumer.stats().nextAttemptAt - now).toBe(backoffMs);
          expect(errors.map((error) => error.retryable)).toEqual([true]);
          now = consumer.stats().nextAttemptAt;
          expect(await consumer.flush()).toBe(true);
          expect(batches()).toEqual([4, 4]);
          break;
        case 'rejected':
          await expect(flushing).rejects.toMatchObject({ code: 'rejected', status: 400 });
          expect(consumer.stats().dropped).toEqual({ overflow: 0, rejected: 4, oversized: 0 });
          expect(s.events()).toEqual([]);
          return;
        case 'halved':
          expect(await flushing).toBe(true);
          expect(batches()).toEqual([4, 2, 2]);
          break;
        case 'dropped':
          await expect(flushing).rejects.toMatchObject({ code: 'oversized', status: 413 });
          expect(consumer.stats().dropped).toEqual({ overflow: 0, rejected: 0, oversized: 1 });
          expect(errors.map((error) => error.code)).toEqual(['oversized']);
          expect(s.events()).toEqual([]);
          return;
      }
      // Delivered once each, in order.
      expect(s.events().map((event) => event.properties.i)).toEqual([0, 1, 2, 3]);
    });
  });
});
