import { Analytics } from '@segment/analytics-node';
import { benchEvent } from '../events.js';
import { type Adapter, type AdapterOptions, BATCH_SIZE, CLOSE_TIMEOUT_MS } from './types.js';

/**
 * @segment/analytics-node: flushAt 500 (its batch limit is 500 KB, ours ~330 KB), default
 * 10 retries with backoff. It has no queue cap: every event is pending until delivered.
 */
export function createSegment(options: AdapterOptions): Adapter {
  let errors = 0;
  const analytics = new Analytics({
    writeKey: 'bench-write-key',
    host: options.sinkUrl,
    path: '/v1/batch',
    flushAt: BATCH_SIZE,
    maxRetries: 10,
  });
  analytics.on('error', () => {
    errors += 1;
  });
  const message = (i: number) => {
    const e = benchEvent(i);
    return { userId: e.distinctId, event: e.event, properties: e.properties };
  };
  return {
    track(i) {
      analytics.track(message(i));
    },
    trackAwaited(i) {
      if ((i + 1) % BATCH_SIZE !== 0) {
        analytics.track(message(i));
        return Promise.resolve();
      }
      // The event that fills a batch sends it; its callback fires once that batch is
      // delivered (or failed): the same wait as an awaited Cohorly track that fills a batch.
      return new Promise((resolve) => analytics.track(message(i), () => resolve()));
    },
    close: () => analytics.closeAndFlush({ timeout: CLOSE_TIMEOUT_MS }),
    errors: () => errors,
  };
}
