import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type HttpFixture, startFixture } from '../test/http-fixture.js';
import { Cohorly } from './cohorly.js';
import { Consumer, type ConsumerOptions } from './consumer.js';
import { CohorlyError } from './errors.js';

let server: HttpFixture;
beforeEach(async () => {
  server = await startFixture();
});
afterEach(async () => {
  vi.useRealTimers();
  await server.close();
});

function setup(options: ConsumerOptions = {}) {
  const sleeps: number[] = [];
  const consumer = new Consumer({
    apiHost: server.url,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    jitter: () => 0,
    ...options,
  });
  return { consumer, client: new Cohorly('T', { consumer }), sleeps };
}

describe('Consumer', () => {
  it('sends each message at once as a single object, and resolves after delivery', async () => {
    const { client } = setup();
    await client.track('u', 'A');
    expect(server.requests).toHaveLength(1);
    expect(JSON.parse(server.requests[0]!.body)).toMatchObject({ event: 'A' });
  });

  it.each([429, 500, 502, 503])('retries %i with the backoff, then succeeds', async (status) => {
    const { client, sleeps } = setup();
    server.script({ status }, { status });
    await client.track('u', 'A');
    expect(sleeps).toEqual([2000, 4000]);
    expect(server.requests).toHaveLength(3);
    expect(new Set(server.requests.map((r) => r.body)).size).toBe(1);
  });

  it('makes at most retryLimit + 1 requests (5 by default), then rejects', async () => {
    const { client, sleeps } = setup();
    server.always({ status: 503, body: 'down' });
    const error = await client.track('u', 'A').catch((e: unknown) => e);
    expect(server.requests).toHaveLength(5);
    expect(sleeps).toEqual([2000, 4000, 8000, 16000]);
    expect(CohorlyError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 503, retryable: true, code: 'server_error' });
    expect((error as Error).message).toMatch(/failed after 5 attempts \(status 503\): down/);
  });

  it('honours Retry-After between inline retries', async () => {
    const { client, sleeps } = setup({ retryLimit: 1 });
    server.script({ status: 429, headers: { 'Retry-After': '3' } });
    await client.track('u', 'A');
    expect(sleeps).toEqual([3000]);
  });

  it.each([301, 307, 308])('fails at once on a %i, saying where it points', async (status) => {
    const { client } = setup();
    server.always({ status, headers: { location: 'http://127.0.0.1:9/track' } });
    await expect(client.track('u', 'A')).rejects.toMatchObject({
      status,
      retryable: false,
      message: expect.stringContaining('the server redirects to http://127.0.0.1:9/track'),
    });
    expect(server.requests.map((r) => r.path)).toEqual(['/track']);
  });

  it.each([400, 401, 404, 413])('fails at once on %i', async (status) => {
    const { client, sleeps } = setup();
    server.always({ status });
    await expect(client.track('u', 'A')).rejects.toMatchObject({ status, retryable: false });
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("rejects with the server's answer on one line, its control characters escaped", async () => {
    const { client } = setup();
    server.always({ status: 400, body: 'invalid\nERROR forged line\u001b[31m' });
    const error = (await client.track('u', 'A').catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/\(status 400\): invalid\\nERROR forged line\\x1b\[31m$/);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('retries a network error and reports status undefined when it persists', async () => {
    const { client } = setup({ retryLimit: 1 });
    server.always({ reset: true });
    await expect(client.track('u', 'A')).rejects.toMatchObject({
      code: 'network_error',
      status: undefined,
      retryable: true,
    });
    expect(server.requests).toHaveLength(2);
  });

  it('bounds every request by requestTimeoutMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client } = setup({ retryLimit: 0, requestTimeoutMs: 10_000 });
    server.always({ hang: true });
    const sending = client.track('u', 'A').catch((e: unknown) => e);
    await vi.waitUntil(() => server.requests.length === 1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await sending).toMatchObject({ code: 'timeout', status: undefined });
  });

  it('close() waits for sends in flight, and aborts them at its deadline', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, consumer } = setup({ retryLimit: 0 });
    await client.track('u', 'Delivered');
    server.always({ hang: true });
    const sending = client.track('u', 'Hanging').catch((e: unknown) => e);
    await vi.waitUntil(() => server.requests.length === 2);
    const closing = consumer.close({ timeoutMs: 1000 });
    await vi.advanceTimersByTimeAsync(1000);
    // The aborted send was not delivered, and the report says so.
    expect(await closing).toMatchObject({ drained: false, sent: 1, undelivered: 1 });
    expect(await sending).toMatchObject({ code: 'timeout' });
    server.always(undefined);
    await client.track('u', 'After close');
    expect(server.requests).toHaveLength(3);
  });

  it('close() reports a drained consumer when every send in flight is delivered', async () => {
    const { client, consumer } = setup({ retryLimit: 0 });
    const sending = client.track('u', 'A');
    await expect(consumer.close({ timeoutMs: 5000 })).resolves.toMatchObject({
      drained: true,
      sent: 1,
      undelivered: 0,
    });
    await sending;
  });

  it('sends many messages at once without a MaxListenersExceededWarning in the app', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const { client } = setup();
      await Promise.all(Array.from({ length: 30 }, (_, i) => client.track('u', `E${i}`)));
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(server.requests).toHaveLength(30);
      expect(warnings.map((warning) => warning.name)).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('rejects at construction an option it does not know, naming the one meant', async () => {
    // Before, `host` was ignored and every message went to http://localhost:4000.
    expect(() => new Consumer({ host: server.url, flushAt: 1 } as ConsumerOptions)).toThrow(
      new TypeError(
        "Consumer: host is not an option (did you mean apiHost?); flushAt is not an option (did you mean BufferedConsumer's maxSize?); " +
          'the options are apiHost, requestTimeoutMs, fetch, clock, sleep, jitter, retryLimit',
      ),
    );
    expect(() => new Consumer({ apiHost: server.url, disable: true } as ConsumerOptions)).toThrow(
      /^Consumer: disable is not an option \(there is no off switch: in tests, pass createRecorder\(\) from @cohorly\/testing as the consumer\)/,
    );
    // Known options given as undefined are the defaults, as before.
    const client = new Cohorly('T', {
      consumer: new Consumer({ apiHost: server.url, retryLimit: undefined, fetch: undefined }),
    });
    await client.track('u', 'A');
    expect(server.requests.map((request) => request.path)).toEqual(['/track']);
  });

  it('rejects unknown endpoints and non-string messages with a TypeError', () => {
    const { consumer } = setup();
    expect(() => consumer.send('events2' as never, '{}')).toThrow(
      /unknown endpoint "events2" \(valid: alias, events, people\)/,
    );
    expect(() => consumer.send('events', {} as never)).toThrow(/jsonMessage must be a JSON string/);
  });
});
