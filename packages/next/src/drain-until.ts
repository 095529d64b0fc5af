import type { BufferedConsumerStats } from '@cohorly/core';
import type { SharedClient } from './shared-client.js';

/** The messages a client still holds (queued or in flight); 0 when it cannot tell. */
export function queuedCount(shared: SharedClient): number {
  const consumer = shared.client.consumer as { stats?: () => BufferedConsumerStats };
  // A consumer without counters (the synchronous Consumer, a custom one) sends as it goes.
  const queued = consumer.stats?.().queued;
  return queued ? queued.events + queued.people + queued.alias : 0;
}

/**
 * Flushes until every message queued before the call is delivered, waiting out the
 * consumer's backoff windows, and gives up at `deadline` (epoch ms). Resolves with the
 * number of messages still queued when it gave up (0: delivered); never rejects. A failed
 * flush inside the window of a serverless function (or of `next start` shutting down) is
 * retried there, not left in a buffer that is about to be frozen or killed.
 */
export async function drainUntil(shared: SharedClient, deadline: number): Promise<number> {
  const consumer = shared.client.consumer as { stats?: () => BufferedConsumerStats };
  for (;;) {
    const before = consumer.stats?.();
    await shared.coalescer.now();
    const queued = queuedCount(shared);
    if (queued === 0) return 0;
    const after = consumer.stats?.();
    // A flush that started after this turn began (so with every message queued before it)
    // ran outside any backoff window and met no failure: those messages are delivered. What
    // is queued now came later, from requests whose own deliveries send it; waiting for an
    // empty queue instead would never end under steady traffic.
    if (before && after && before.nextAttemptAt === 0 && after.retries === before.retries) {
      return 0;
    }
    const now = Date.now();
    const retryAt = Math.max(after?.nextAttemptAt ?? 0, now);
    // Each turn delivers, waits out a backoff, or ends at the deadline: bounded.
    if (retryAt >= deadline) return queued;
    if (retryAt > now) await new Promise((resolve) => setTimeout(resolve, retryAt - now));
  }
}
