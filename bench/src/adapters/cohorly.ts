import { BufferedConsumer, Cohorly, type FetchLike } from '@cohorly/core';
import { benchEvent } from '../events.js';
import { type Adapter, type AdapterOptions, BATCH_SIZE, CLOSE_TIMEOUT_MS } from './types.js';

/**
 * `@cohorly/core` with a BufferedConsumer: batches of 500, queue cap raised, default timer.
 * `fetch` is the global one unless given (`cohorly-node`: `createNodeFetch()`).
 */
export function createCohorly(options: AdapterOptions, fetch?: FetchLike): Adapter {
  let errors = 0;
  const consumer = new BufferedConsumer({
    apiHost: options.sinkUrl,
    maxSize: BATCH_SIZE,
    maxQueueSize: options.queueCap,
    ...(fetch ? { fetch } : {}),
    onError: () => {
      errors += 1;
    },
  });
  const client = new Cohorly('bench-token', { consumer });
  return {
    track(i) {
      const e = benchEvent(i);
      void client.track(e.distinctId, e.event, e.properties);
    },
    trackAwaited(i) {
      const e = benchEvent(i);
      return client.track(e.distinctId, e.event, e.properties);
    },
    close: () => client.close({ timeoutMs: CLOSE_TIMEOUT_MS }),
    errors: () => errors,
  };
}
