import { PostHog } from 'posthog-node';
import { benchEvent } from '../events.js';
import { type Adapter, type AdapterOptions, BATCH_SIZE, CLOSE_TIMEOUT_MS } from './types.js';

/**
 * posthog-node: flushAt and maxBatchSize 500, maxQueueSize raised, gzip left on (its
 * default), 10 fetch retries 3 s apart (default 3) so that it rides out the outage.
 */
export function createPosthog(options: AdapterOptions): Adapter {
  let errors = 0;
  const posthog = new PostHog('phc_bench', {
    host: options.sinkUrl,
    flushAt: BATCH_SIZE,
    maxBatchSize: BATCH_SIZE,
    maxQueueSize: options.queueCap,
    fetchRetryCount: 10,
  });
  posthog.on('error', () => {
    errors += 1;
  });
  const capture = (i: number) => {
    const e = benchEvent(i);
    posthog.capture({ distinctId: e.distinctId, event: e.event, properties: e.properties });
  };
  return {
    track: capture,
    trackAwaited(i) {
      capture(i);
      // capture() returns nothing to await; flush() is its only delivery signal, awaited
      // once per full batch (captureImmediate would send one request per event).
      return (i + 1) % BATCH_SIZE === 0 ? posthog.flush() : Promise.resolve();
    },
    close: () => posthog.shutdown(CLOSE_TIMEOUT_MS),
    errors: () => errors,
  };
}
