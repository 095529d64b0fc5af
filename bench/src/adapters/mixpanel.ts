import Mixpanel from 'mixpanel';
import { benchEvent } from '../events.js';
import type { Adapter, AdapterOptions } from './types.js';

/** mixpanel-node's own limit of events per /track batch request. */
const MIXPANEL_BATCH = 50;
/** Requests track_batch keeps in flight in the burst (see the README for the choice). */
const BURST_CONCURRENCY = 10;

/**
 * mixpanel-node has no queue, no timer and no retry: `track()` sends one GET per call at
 * once. So: `track()` per event where events arrive over time (express, outage);
 * `track_batch()` of the array a tight loop built (burst), because 100,000 immediate
 * requests would open up to 100,000 sockets; awaited `track_batch()` of 50 (backfill).
 * Its events carry a bench-set `$insert_id`, the property Mixpanel's server dedupes by.
 */
export function createMixpanel(options: AdapterOptions): Adapter {
  const url = new URL(options.sinkUrl);
  const mixpanel = Mixpanel.init('bench-token', {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
  } as Partial<Mixpanel.InitConfig>);
  let errors = 0;
  let outstanding = 0;
  let idle: (() => void) | undefined;
  let pending: Mixpanel.Event[] = [];

  const started = () => {
    outstanding += 1;
  };
  const finished = (error: unknown) => {
    if (error) errors += Array.isArray(error) ? error.length : 1;
    outstanding -= 1;
    if (outstanding === 0) idle?.();
  };
  const event = (i: number): Mixpanel.Event => {
    const e = benchEvent(i);
    return {
      event: e.event,
      properties: { distinct_id: e.distinctId, $insert_id: `b${i}`, ...e.properties },
    };
  };
  const sendBatch = (events: Mixpanel.Event[], concurrency?: number) =>
    new Promise<void>((resolve) => {
      started();
      const batchOptions = concurrency ? { max_concurrent_requests: concurrency } : {};
      mixpanel.track_batch(events, batchOptions, (error) => {
        finished(error);
        resolve();
      });
    });

  return {
    track(i) {
      if (options.scenario === 'burst') {
        pending.push(event(i));
        return;
      }
      const e = event(i);
      started();
      mixpanel.track(e.event, e.properties, finished);
    },
    trackAwaited(i) {
      pending.push(event(i));
      if (pending.length < MIXPANEL_BATCH) return Promise.resolve();
      const batch = pending;
      pending = [];
      return sendBatch(batch);
    },
    async close() {
      if (pending.length > 0) {
        const batch = pending;
        pending = [];
        await sendBatch(batch, BURST_CONCURRENCY);
      }
      if (outstanding > 0) await new Promise<void>((resolve) => (idle = resolve));
    },
    errors: () => errors,
  };
}
