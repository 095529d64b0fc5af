import { benchEvent } from '../events.js';
import { type Adapter, type AdapterOptions, BATCH_SIZE } from './types.js';

/**
 * No SDK: the same Cohorly events, `JSON.stringify`'d, POSTed 500 at a time with plain
 * `fetch`, one request in flight. The floor any SDK's own overhead is measured against.
 */
export function createRaw(options: AdapterOptions): Adapter {
  const url = `${options.sinkUrl}/track`;
  let pending: string[] = [];
  let errors = 0;
  const serialize = (i: number) => {
    const e = benchEvent(i);
    return JSON.stringify({
      event: e.event,
      properties: {
        token: 'bench-token',
        distinct_id: e.distinctId,
        time: Date.now(),
        $insert_id: crypto.randomUUID().replaceAll('-', ''),
        $lib: 'raw',
        $lib_version: '0',
        ...e.properties,
      },
    });
  };
  const post = async (batch: string[]) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: `[${batch.join(',')}]`,
    });
    await response.text();
    if (!response.ok) errors += 1;
  };
  const sendAll = async () => {
    while (pending.length > 0) await post(pending.splice(0, BATCH_SIZE));
  };
  return {
    track(i) {
      pending.push(serialize(i));
    },
    async trackAwaited(i) {
      pending.push(serialize(i));
      if (pending.length >= BATCH_SIZE) {
        const batch = pending;
        pending = [];
        await post(batch);
      }
    },
    close: sendAll,
    errors: () => errors,
  };
}
