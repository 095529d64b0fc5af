import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type HttpFixture, startFixture } from '../test/http-fixture.js';
import { BufferedConsumer, type BufferedConsumerOptions } from './buffered-consumer.js';
import { Cohorly } from './cohorly.js';
import { CohorlyError } from './errors.js';

let server: HttpFixture;
beforeEach(async () => {
  server = await startFixture();
});
afterEach(async () => {
  vi.useRealTimers();
  await server.close();
});

/** A consumer on a virtual clock: `sleep` advances it instead of waiting. */
function setup(options: BufferedConsumerOptions = {}) {
  const time = { now: 1_000_000 };
  const errors: CohorlyError[] = [];
  const sleeps: number[] = [];
  const consumer = new BufferedConsumer({
    apiHost: server.url,
    flushIntervalMs: 0,
    clock: () => time.now,
    sleep: async (ms) => {
      sleeps.push(ms);
      time.now += ms;
    },
    jitter: () => 0,
    onError: (error) => errors.push(error),
    ...options,
  });
  const client = new Cohorly('T', { consumer });
  return { consumer, client, time, errors, sleeps };
}

/**
 * A `fetch` whose requests wait until `release()`: lets a test act while a request is in
 * flight. `requests()` counts the requests started.
 */
function gatedFetch() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started = 0;
  const gated: BufferedConsumerOptions['fetch'] = async (url, init) => {
    started += 1;
    await gate;
    return fetch(url, init);
  };
  return { fetch: gated, release, requests: () => started };
}

/** Event names in the order the server received them, across batches. */
function receivedEvents(): string[] {
  return server
    .json('/track')
    .flatMap((body) => (Array.isArray(body) ? body : [body]))
    .map((event: any) => event.event);
}

function batchSizes(path = '/track'): number[] {
  return server.json(path).map((body) => (Array.isArray(body) ? body.length : 1));
}

describe('batching', () => {
  it('sends a JSON array when a buffer reaches maxSize, and resolves after that flush', async () => {
    const { client } = setup({ maxSize: 3 });
    await client.track('u', 'A');
    await client.track('u', 'B');
    expect(server.requests).toHaveLength(0);
    await client.track('u', 'C');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.body.startsWith('[{"event":"A"')).toBe(true);
    expect(receivedEvents()).toEqual(['A', 'B', 'C']);
  });

  it('sends only full batches when a buffer fills, not what trickled in meanwhile', async () => {
    const gated = gatedFetch();
    const { client, consumer } = setup({ maxSize: 3, fetch: gated.fetch });
    void client.track('u', 'A');
    void client.track('u', 'B');
    const full = client.track('u', 'C');
    // D and E arrive while [A, B, C] is in flight: two messages are not a batch.
    void client.track('u', 'D');
    void client.track('u', 'E');
    gated.release();
    await full;
    expect(batchSizes()).toEqual([3]);
    expect(consumer.stats().queued.events).toBe(2);
    await client.track('u', 'F');
    await client.track('u', 'G');
    expect(batchSizes()).toEqual([3, 3]);
    // flush() (and the timer, and close) still send whatever is left.
    await expect(consumer.flush()).resolves.toBe(true);
    expect(batchSizes()).toEqual([3, 3, 1]);
    expect(receivedEvents()).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G']);
  });

  it('sends a batch that fills while another is in flight as soon as that one ends', async () => {
    const gated = gatedFetch();
    const { client, consumer } = setup({ maxSize: 2, fetch: gated.fetch });
    void client.track('u', 'A');
    const first = client.track('u', 'B');
    // [A, B] is in flight; C and D fill the next batch meanwhile (no timer: flushIntervalMs 0).
    await vi.waitUntil(() => gated.requests() === 1);
    void client.track('u', 'C');
    const second = client.track('u', 'D');
    gated.release();
    await first;
    // D's call resolves once the batch it filled has been attempted, as when none is in flight.
    await second;
    expect(batchSizes()).toEqual([2, 2]);
    expect(receivedEvents()).toEqual(['A', 'B', 'C', 'D']);
    expect(consumer.stats().queued.events).toBe(0);
  });

  it('empties the buffer when flush() joins a drain that a full buffer started', async () => {
    const gated = gatedFetch();
    const { client, consumer } = setup({ maxSize: 3, fetch: gated.fetch });
    for (const name of ['A', 'B', 'C', 'D']) void client.track('u', name);
    const flushed = consumer.flush();
    gated.release();
    await expect(flushed).resolves.toBe(true);
    expect(batchSizes()).toEqual([3, 1]);
  });

  it('clamps maxSize to 1..500', async () => {
    const big = setup({ maxSize: 10_000, maxQueueSize: 2000 });
    for (let i = 0; i < 501; i++) void big.client.track('u', `E${i}`);
    await big.consumer.flush();
    expect(batchSizes()).toEqual([500, 1]);
    const small = setup({ maxSize: 0 });
    await small.client.track('u', 'one');
    expect(batchSizes().slice(2)).toEqual([1]);
  });

  it('rejects at construction an option it does not know, naming the one meant', async () => {
    // posthog-node's and Segment's names, from a shared config: before, they were ignored, and
    // messages went to http://localhost:4000 in batches of 50, every 10 s.
    const config = { host: server.url, flushAt: 1, flushInterval: 100 };
    expect(() => new BufferedConsumer(config as BufferedConsumerOptions)).toThrow(
      new TypeError(
        'BufferedConsumer: host is not an option (did you mean apiHost?); flushAt is not an option (did you mean maxSize?); flushInterval is not an option (did you mean flushIntervalMs?); ' +
          'the options are apiHost, requestTimeoutMs, fetch, clock, sleep, jitter, maxSize, maxQueueSize, flushIntervalMs, onError',
      ),
    );
    expect(() => setup({ max_queue_size: 10 } as BufferedConsumerOptions)).toThrow(
      /^BufferedConsumer: max_queue_size is not an option \(did you mean maxQueueSize\?\)/,
    );
    expect(() => setup({ disabled: true } as BufferedConsumerOptions)).toThrow(
      /^BufferedConsumer: disabled is not an option \(there is no off switch: in tests, pass createRecorder\(\) from @cohorly\/testing as the consumer\)/,
    );
    // The names meant work, and known options given as undefined are the defaults.
    const { client } = setup({ apiHost: server.url, maxSize: 1, maxQueueSize: undefined });
    await client.track('u', 'A');
    expect(batchSizes()).toEqual([1]);
  });

  it('sends /alias one object per request, never an array', async () => {
    const { client, consumer } = setup({ maxSize: 2 });
    void client.alias('a1', 'u');
    void client.alias('a2', 'u');
    void client.alias('a3', 'u');
    await consumer.flush();
    expect(server.requests.map((r) => r.body)).toEqual([
      '{"alias":"a1","distinct_id":"u","token":"T"}',
      '{"alias":"a2","distinct_id":"u","token":"T"}',
      '{"alias":"a3","distinct_id":"u","token":"T"}',
    ]);
  });

  it('keeps one buffer per endpoint', async () => {
    const { client, consumer } = setup({ maxSize: 10 });
    await client.track('u', 'A');
    await client.peopleSet('u', { a: 1 });
    expect(consumer.stats().queued).toEqual({ events: 1, people: 1, alias: 0 });
    await expect(consumer.flush()).resolves.toBe(true);
    expect(server.requests.map((r) => r.path).sort()).toEqual(['/engage', '/track']);
    expect(server.json('/engage')).toEqual([[{ token: 'T', distinct_id: 'u', $set: { a: 1 } }]]);
  });

  it('lets clients with different tokens share one consumer', async () => {
    const { consumer } = setup();
    await new Cohorly('T1', { consumer }).track('u', 'A');
    await new Cohorly('T2', { consumer }).track('u', 'B');
    await consumer.flush();
    expect(server.json('/track')[0]).toMatchObject([
      { properties: { token: 'T1' } },
      { properties: { token: 'T2' } },
    ]);
  });
});

describe('retryable failures: 429, 5xx, network errors', () => {
  it.each([500, 502, 503, 429])(
    'keeps the batch on %i, backs off 2 s, then delivers it exactly once',
    async (status) => {
      const { client, consumer, time, errors } = setup();
      server.script({ status });
      await client.track('u', 'A');
      await expect(consumer.flush()).resolves.toBe(false);
      expect(consumer.stats()).toMatchObject({
        queued: { events: 1 },
        retries: 1,
        nextAttemptAt: time.now + 2000,
      });
      expect(errors[0]).toMatchObject({ status, retryable: true, code: 'server_error' });
      // Inside the window, a flush does nothing.
      time.now += 1999;
      await expect(consumer.flush()).resolves.toBe(false);
      expect(server.requests).toHaveLength(1);
      time.now += 1;
      await expect(consumer.flush()).resolves.toBe(true);
      expect(receivedEvents()).toEqual(['A', 'A']);
      expect(server.json('/track')[0]).toEqual(server.json('/track')[1]);
      expect(consumer.stats()).toMatchObject({ sent: 1, queued: { events: 0 }, nextAttemptAt: 0 });
    },
  );

  it('honours Retry-After through a fetch that answers with less than a Response', async () => {
    // A transport of one's own need only give status, headers.get() and text().
    const { client, consumer, time, errors } = setup({
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        return {
          status: response.status,
          headers: { get: (name: string) => response.headers.get(name) },
          text: () => response.text(),
        };
      },
    });
    server.script({ status: 429, headers: { 'Retry-After': '30' }, body: 'slow down' });
    await client.track('u', 'A');
    await expect(consumer.flush()).resolves.toBe(false);
    expect(consumer.stats().nextAttemptAt).toBe(time.now + 30_000);
    expect(errors[0]?.message).toContain('slow down');
    time.now += 30_000;
    await expect(consumer.flush()).resolves.toBe(true);
    expect(receivedEvents()).toEqual(['A', 'A']);
  });

  it('doubles the delay on each consecutive failure up to 600 s, and resets on success', async () => {
    const { client, consumer, time } = setup();
    server.always({ status: 503 });
    await client.track('u', 'A');
    const delays: number[] = [];
    for (let i = 0; i < 11; i++) {
      await consumer.flush();
      delays.push(consumer.stats().nextAttemptAt - time.now);
      time.now = consumer.stats().nextAttemptAt;
    }
    expect(delays).toEqual([
      2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 512000, 600000, 600000,
    ]);
    server.always(undefined);
    await expect(consumer.flush()).resolves.toBe(true);
    server.script({ status: 503 });
    await client.track('u', 'B');
    await consumer.flush();
    expect(consumer.stats().nextAttemptAt - time.now).toBe(2000);
  });

  it.each([
    [0.2, 2400],
    [-0.2, 1600],
    [0.1, 2200],
  ])('spreads the delay by the jitter (%d gives %i ms)', async (jitter, expected) => {
    const { client, consumer, time } = setup({ jitter: () => jitter });
    server.script({ status: 500 });
    await client.track('u', 'A');
    await consumer.flush();
    expect(consumer.stats().nextAttemptAt - time.now).toBeCloseTo(expected, 6);
  });

  it('caps a jittered delay at 600 s', async () => {
    const { client, consumer, time } = setup({ jitter: () => 0.2 });
    server.always({ status: 500 });
    await client.track('u', 'A');
    for (let i = 0; i < 10; i++) {
      await consumer.flush();
      time.now = consumer.stats().nextAttemptAt;
    }
    await consumer.flush();
    expect(consumer.stats().nextAttemptAt - time.now).toBe(600_000);
  });

  it.each([
    ['7', 7000],
    ['0.5', 500],
    ['99999', 600_000],
    ['soon', 2000],
    ['-3', 0],
  ])('honours Retry-After: %s gives %i ms', async (header, expected) => {
    const { client, consumer, time } = setup();
    server.script({ status: 429, headers: { 'Retry-After': header } });
    await client.track('u', 'A');
    await consumer.flush();
    expect(
      consumer.stats().nextAttemptAt === 0 ? 0 : consumer.stats().nextAttemptAt - time.now,
    ).toBe(expected);
  });

  it('waits a second between attempts of drain() and close() when Retry-After is 0', async () => {
    // No window opens: close() retried such a server in a tight loop, hundreds of requests a
    // second for its whole deadline.
    const { client, consumer, sleeps } = setup();
    server.always({ status: 429, headers: { 'Retry-After': '0' } });
    await client.track('u', 'A');
    const report = await consumer.close({ timeoutMs: 10_000 });
    expect(report).toMatchObject({ drained: false, undelivered: 1 });
    // Each attempt is a flush (at most two requests), one second apart.
    expect(server.requests.length).toBeLessThanOrEqual(22);
    expect(sleeps).toEqual(Array(10).fill(1000));
  });

  it('treats a connection reset as retryable', async () => {
    const { client, consumer, time, errors } = setup();
    server.script({ reset: true });
    await client.track('u', 'A');
    await expect(consumer.flush()).resolves.toBe(false);
    expect(errors[0]).toMatchObject({ code: 'network_error', status: undefined, retryable: true });
    time.now += 2000;
    await expect(consumer.flush()).resolves.toBe(true);
    expect(receivedEvents()).toEqual(['A', 'A']);
  });

  it('treats a fetch that rejects with a value String() throws on as a network error', async () => {
    // A custom fetch may reject with anything; no exception may escape the transport.
    const { client, consumer, errors } = setup({
      fetch: () => Promise.reject(Object.create(null)),
    });
    await client.track('u', 'A');
    await expect(consumer.flush()).resolves.toBe(false);
    expect(errors[0]).toMatchObject({
      code: 'network_error',
      retryable: true,
      message: expect.stringContaining('fetch failed with a value that cannot be shown as text'),
    });
    expect(consumer.stats().queued.events).toBe(1);
  });

  it('treats a server that does not answer within requestTimeoutMs as retryable', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, consumer, errors } = setup({ requestTimeoutMs: 5000 });
    server.script({ hang: true });
    await client.track('u', 'A');
    const flushing = consumer.flush();
    await vi.advanceTimersByTimeAsync(5000);
    await expect(flushing).resolves.toBe(false);
    expect(errors[0]).toMatchObject({ code: 'timeout', status: undefined, retryable: true });
    expect(consumer.stats().queued.events).toBe(1);
  });

  it('keeps the queue and backs off 600 s on 401', async () => {
    const { client, consumer, time, errors } = setup();
    server.script({ status: 401, body: '{"error":"invalid token"}' });
    await client.track('u', 'A');
    await expect(consumer.flush()).resolves.toBe(false);
    expect(consumer.stats()).toMatchObject({
      queued: { events: 1 },
      nextAttemptAt: time.now + 600_000,
    });
    expect(errors[0]).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(errors[0]?.message).toContain('invalid token');
    time.now += 600_000;
    await expect(consumer.flush()).resolves.toBe(true);
  });
});

describe('permanent failures', () => {
  it('halves the batch on 413 and retries at once', async () => {
    const { client, consumer } = setup({ maxSize: 8 });
    server.script({ status: 413 });
    const sends = Array.from({ length: 8 }, (_, i) => client.track('u', `E${i}`));
    await Promise.all(sends);
    expect(batchSizes()).toEqual([8, 4, 4]);
    expect(receivedEvents().slice(8)).toEqual(['E0', 'E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7']);
    expect(consumer.stats()).toMatchObject({ sent: 8, dropped: { oversized: 0 } });
  });

  it('drops a single message that still gets 413, reports it, and keeps the rest', async () => {
    const { client, consumer, errors } = setup({ maxSize: 1 });
    server.script({ status: 413 });
    await client.track('u', 'Huge');
    await client.track('u', 'Next');
    expect(receivedEvents()).toEqual(['Huge', 'Next']);
    expect(consumer.stats()).toMatchObject({ sent: 1, dropped: { oversized: 1 } });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'oversized',
      status: 413,
      retryable: false,
      messages: 1,
    });
  });

  it('drops a 400 batch, reports it, and delivers the rest of the queue', async () => {
    const { client, consumer, errors } = setup({ maxSize: 2 });
    server.script({ status: 400, body: '{"error":"bad event"}' });
    const sends = ['A', 'B', 'C', 'D'].map((name) => client.track('u', name));
    // Each send resolves (with nothing) once its batch was attempted; none rejects for the 400.
    await expect(Promise.all(sends)).resolves.toEqual([undefined, undefined, undefined, undefined]);
    expect(batchSizes()).toEqual([2, 2]);
    expect(consumer.stats()).toMatchObject({
      sent: 2,
      dropped: { rejected: 2 },
      queued: { events: 0 },
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'rejected', status: 400, messages: 2 });
    expect(errors[0]?.message).toContain('bad event');
  });

  it('never quotes a project token from the server answer in an error', async () => {
    const { client, consumer, errors } = setup();
    server.script({
      status: 400,
      body: '{"error":"bad","item":{"properties":{"token":"secret-project-token"}}}',
    });
    await client.track('u', 'A');
    const failure = await consumer.flush().catch((error: unknown) => error);
    expect(String((failure as Error).message)).toContain('"token":"<redacted>"');
    expect(String((failure as Error).message)).not.toContain('secret-project-token');
    expect(errors.map((e) => e.message).join()).not.toContain('secret-project-token');
  });

  it("escapes the control characters of the server's answer, so that it stays one log line", async () => {
    const { client, consumer, errors } = setup();
    // A forged log line, ANSI escapes (clear the screen, red), a bell, NEL and U+2028.
    server.script({
      status: 400,
      body: 'bad request\r\n2026-01-01T00:00:00Z INFO admin login ok\u001b[2J\u001b[31mRED\u001b[0m\u0007\u0085\u2028 Zoë',
    });
    await client.track('u', 'A');
    await consumer.flush().catch(() => undefined);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain(
      '(status 400): bad request\\r\\n2026-01-01T00:00:00Z INFO admin login ok\\x1b[2J\\x1b[31mRED\\x1b[0m\\x07\\x85\\u2028 Zoë',
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters it must not contain.
    expect(errors[0]?.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  });

  it.each([301, 302, 307, 308])(
    'never follows a %i, on any fetch: the batch is reported with where apiHost should point',
    async (status) => {
      // Node's global fetch would follow a 307 or 308 with the body, and turn a 301 or 302
      // into a GET without it (then a 405): each transport would give another outcome.
      const { consumer, errors } = setup();
      const client = new Cohorly('secret-project-token', { consumer });
      server.script({ status, headers: { location: '/v2/track?key=secret-project-token' } });
      await client.track('u', 'A');
      await consumer.flush().catch(() => undefined);
      expect(server.requests.map((r) => r.path)).toEqual(['/track']);
      expect(consumer.stats()).toMatchObject({ sent: 0, dropped: { rejected: 1 } });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'rejected', status, messages: 1 });
      expect(errors[0]?.message).toContain(
        `(status ${status}): {}; the server redirects to ${server.url}/v2/track?key=<redacted>`,
      );
      expect(errors[0]?.message).toContain('Cohorly does not follow redirects: set apiHost');
    },
  );

  it('makes an explicit flush() reject with the CohorlyError of a rejected batch', async () => {
    const { client, consumer } = setup();
    server.script({ status: 422 });
    await client.track('u', 'A');
    const failure = await consumer.flush().catch((error: unknown) => error);
    expect(CohorlyError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ status: 422, code: 'rejected' });
    await client.track('u', 'B');
    await expect(consumer.flush()).resolves.toBe(true);
  });
});

describe('bounded queue', () => {
  it('drops the oldest on overflow, counts them, and reports once per burst', async () => {
    const { client, consumer, errors } = setup({ maxQueueSize: 3 });
    for (const name of ['A', 'B', 'C', 'D', 'E']) void client.track('u', name);
    await Promise.resolve();
    expect(consumer.stats()).toMatchObject({ queued: { events: 3 }, dropped: { overflow: 2 } });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'overflow', messages: 2 });
    expect(errors[0]?.message).toMatch(
      /events buffer is full \(maxQueueSize 3\); dropped the 2 oldest/,
    );
    await consumer.flush();
    expect(receivedEvents()).toEqual(['C', 'D', 'E']);
  });

  it('never drops a batch in flight when the queue overflows meanwhile', async () => {
    const { client, consumer, time } = setup({ maxSize: 2, maxQueueSize: 2 });
    server.script({ status: 503 });
    const first = [client.track('u', 'A'), client.track('u', 'B')];
    // A and B are in flight; C and D fill the queue meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    void client.track('u', 'C');
    void client.track('u', 'D');
    await Promise.all(first);
    // A and B came back after the 503; the queue keeps the newest two.
    expect(consumer.stats()).toMatchObject({ queued: { events: 2 }, dropped: { overflow: 2 } });
    time.now += 2000;
    await consumer.flush();
    expect(receivedEvents()).toEqual(['A', 'B', 'C', 'D']);
  });
});

describe('single-flight', () => {
  it('never has two requests in flight per endpoint, and sends each message once', async () => {
    let active = 0;
    let maxActive = 0;
    const { client, consumer } = setup({
      maxSize: 5,
      fetch: async (url, init) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        try {
          return await fetch(url, init);
        } finally {
          active -= 1;
        }
      },
    });
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      calls.push(client.track('u', `E${i}`));
      if (i % 7 === 0) calls.push(consumer.flush());
    }
    await Promise.all(calls);
    await consumer.flush();
    expect(maxActive).toBe(1);
    expect(receivedEvents()).toEqual(Array.from({ length: 100 }, (_, i) => `E${i}`));
  });

  it('flushes in the background every flushIntervalMs', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { client } = setup({ flushIntervalMs: 10_000 });
    await client.track('u', 'A');
    expect(server.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(10_000);
    await vi.waitUntil(() => server.requests.length === 1);
    expect(receivedEvents()).toEqual(['A']);
  });
});

describe('close()', () => {
  it('waits out the backoff and delivers, then reports', async () => {
    const { client, consumer, sleeps } = setup();
    server.script({ status: 503 }, { status: 503 });
    await client.track('u', 'A');
    await client.peopleSet('u', { a: 1 });
    const report = await consumer.close({ timeoutMs: 60_000 });
    // events fails twice (2 s, then 4 s); people waits its turn instead of failing too.
    expect(sleeps).toEqual([2000, 4000]);
    expect(server.requests.map((r) => r.path)).toEqual(['/track', '/track', '/track', '/engage']);
    expect(report).toEqual({
      drained: true,
      sent: 2,
      undelivered: 0,
      queued: { events: 0, people: 0, alias: 0 },
      dropped: { overflow: 0, rejected: 0, oversized: 0 },
    });
  });

  it('stops at its deadline, aborts the request in flight, and reports what remains', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, consumer } = setup({ clock: Date.now });
    server.always({ hang: true });
    await client.track('u', 'A');
    await client.track('u', 'B');
    const closing = consumer.close({ timeoutMs: 3000 });
    await vi.waitUntil(() => server.requests.length === 1);
    await vi.advanceTimersByTimeAsync(3000);
    const report = await closing;
    expect(report).toMatchObject({
      drained: false,
      sent: 0,
      undelivered: 2,
      queued: { events: 2 },
    });
    expect(server.requests).toHaveLength(1);
  });

  it('is idempotent and still delivers messages sent after it', async () => {
    const { client, consumer } = setup();
    const first = consumer.close();
    expect(consumer.close()).toBe(first);
    await first;
    await client.track('u', 'Late');
    expect(receivedEvents()).toEqual(['Late']);
  });

  it('delivers a message sent after it while another one is in flight', async () => {
    const gated = gatedFetch();
    const { client, consumer } = setup({ fetch: gated.fetch });
    await consumer.close();
    const first = client.track('u', 'Late 1');
    await vi.waitUntil(() => gated.requests() === 1);
    // No timer after close(): nothing else would ever send it.
    const second = client.track('u', 'Late 2');
    gated.release();
    await Promise.all([first, second]);
    expect(receivedEvents()).toEqual(['Late 1', 'Late 2']);
    expect(consumer.stats().queued.events).toBe(0);
  });

  it('retries a message sent after it at the end of the backoff window it met', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { client, consumer, errors } = setup({ clock: Date.now });
    await consumer.close();
    server.script({ status: 503 });
    // The consumer has no timer left, and nothing else will be sent.
    await client.track('u', 'Late');
    expect(errors.map((error) => error.status)).toEqual([503]);
    await vi.advanceTimersByTimeAsync(2000);
    // The fixture records the refused request too: the second one is the retry.
    await vi.waitUntil(() => server.requests.length === 2);
    expect(receivedEvents()).toEqual(['Late', 'Late']);
    await vi.waitUntil(() => consumer.stats().queued.events === 0);
    expect(consumer.stats().sent).toBe(1);
  });

  it('keeps delivering when onError throws', async () => {
    const { client, consumer, time } = setup({
      onError: () => {
        throw new Error('bad handler');
      },
    });
    server.script({ status: 500 });
    await client.track('u', 'A');
    await expect(consumer.flush()).resolves.toBe(false);
    time.now += 2000;
    await expect(consumer.flush()).resolves.toBe(true);
  });
});

describe('drain()', () => {
  it('waits out the backoff, delivers what was queued, and leaves the consumer running', async () => {
    const { client, consumer, sleeps } = setup();
    server.script({ status: 503 }, { status: 503 });
    await client.track('u', 'A');
    await client.peopleSet('u', { a: 1 });
    await expect(consumer.drain({ timeoutMs: 60_000 })).resolves.toEqual({
      drained: true,
      undelivered: 0,
    });
    expect(sleeps).toEqual([2000, 4000]);
    expect(server.requests.map((r) => r.path)).toEqual(['/track', '/track', '/track', '/engage']);
    // Not closed: a later message waits for its batch, as before the drain.
    await client.track('u', 'Later');
    expect(server.requests).toHaveLength(4);
    expect(consumer.stats().queued.events).toBe(1);
  });

  it('ends once what was queued before it is delivered, though messages keep arriving', async () => {
    let arrivals = 0;
    const { client, consumer } = setup({
      // Another request of the app tracks a message while each delivery is on the wire.
      fetch: (input, init) => {
        arrivals += 1;
        void client.track(`other-${arrivals}`, 'Theirs');
        return fetch(input, init);
      },
    });
    await client.track('me', 'Mine');
    await expect(consumer.drain({ timeoutMs: 60_000 })).resolves.toEqual({
      drained: true,
      undelivered: 1,
    });
    expect(receivedEvents()).toEqual(['Mine']);
  });

  it('resolves at its deadline without aborting the request in flight', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, consumer } = setup({ clock: Date.now, requestTimeoutMs: 60_000 });
    server.always({ hang: true });
    await client.track('u', 'A');
    await client.track('u', 'B');
    const draining = consumer.drain({ timeoutMs: 3000 });
    await vi.waitUntil(() => server.requests.length === 1);
    await vi.advanceTimersByTimeAsync(3000);
    await expect(draining).resolves.toEqual({ drained: false, undelivered: 2 });
    // Still on the wire: a close() later can deliver or abort it; the drain did neither.
    expect(consumer.stats().queued.events).toBe(2);
    expect(server.requests).toHaveLength(1);
    await consumer.close({ timeoutMs: 0 });
  });

  it('gives up at its deadline inside a backoff window, keeping the messages', async () => {
    const { client, consumer, sleeps } = setup();
    server.always({ status: 503 });
    await client.track('u', 'A');
    await expect(consumer.drain({ timeoutMs: 5000 })).resolves.toEqual({
      drained: false,
      undelivered: 1,
    });
    // 2 s, then the rest of the window: the 4 s backoff would end after the deadline.
    expect(sleeps).toEqual([2000, 3000]);
    expect(server.requests).toHaveLength(2);
  });

  it('counts a batch the server rejected as settled, and reports it through onError', async () => {
    const { client, consumer, errors } = setup();
    server.script({ status: 400, body: '{"error":"bad"}' });
    await client.track('u', 'A');
    await expect(consumer.drain()).resolves.toEqual({ drained: true, undelivered: 0 });
    expect(errors.map((e) => e.code)).toEqual(['rejected']);
  });

  it('waits out a backoff in many drain() calls at once without a MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const wakes: (() => void)[] = [];
    const { client, consumer, time } = setup({
      // Each sleep waits until the test wakes it, so every drain() is asleep at once.
      sleep: (ms) =>
        new Promise<void>((resolve) =>
          wakes.push(() => {
            time.now = Math.max(time.now, 1_000_000 + ms);
            resolve();
          }),
        ),
    });
    try {
      server.script({ status: 503 });
      await client.track('u', 'A');
      await expect(consumer.flush()).resolves.toBe(false);
      // Requests of a serverless function during an outage, each draining at its end.
      const drains = Array.from({ length: 15 }, () => consumer.drain({ timeoutMs: 60_000 }));
      await vi.waitUntil(() => wakes.length === 15);
      await new Promise((resolve) => setImmediate(resolve));
      for (const wake of wakes.splice(0)) wake();
      const reports = await Promise.all(drains);
      expect(reports.every((report) => report.drained)).toBe(true);
      expect(warnings.map((warning) => warning.name)).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('throws at the call on a bad timeoutMs', () => {
    const { consumer } = setup();
    expect(() => consumer.drain({ timeoutMs: Number.NaN })).toThrow(
      /BufferedConsumer\.drain: timeoutMs must be a number of milliseconds from 0 to 2147483647, got NaN/,
    );
  });
});
