import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BufferedConsumer, Cohorly } from '@cohorly/core';
import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { type PlainRequest, plainAccessor, plainRequest } from '../test/plain-request.js';
import { CohorlyIntegration, type IntegrationOptions } from './integration.js';

const TOKEN = 'test-token';
const request = (user: string) => plainRequest({ user, url: `/orders?user=${user}` });
const identify = (req: PlainRequest) => req.user;

/** `/track` request bodies the server received, as event counts. */
const trackBatchSizes = (server: TestServer) =>
  server
    .requests()
    .filter((r) => r.path === '/track')
    .map((r) => (Array.isArray(r.json) ? r.json.length : 1));

describe('CohorlyIntegration', () => {
  let server: TestServer;
  let errors: unknown[];
  const integrations: CohorlyIntegration<PlainRequest>[] = [];

  function integrate(options: IntegrationOptions<PlainRequest> = {}) {
    const integration = new CohorlyIntegration<PlainRequest>(
      {
        token: TOKEN,
        apiHost: server.url,
        identify,
        // Delivery must come from the flush policy, never from the client's own timer.
        batching: { flushIntervalMs: 0 },
        onError: (error) => errors.push(error),
        ...options,
      },
      plainAccessor,
      'test()',
    );
    integrations.push(integration);
    return { integration, flushes: vi.spyOn(integration.client, 'flush') };
  }

  beforeEach(async () => {
    server = await startTestServer();
    errors = [];
    // Only the timers: the HTTP traffic to the test server is real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(integrations.splice(0).map((i) => i.close({ timeoutMs: 1000 })));
    await server.close();
  });

  it("'coalesced' (the default) shares one flush among requests closing within 50 ms", async () => {
    const { integration, flushes } = integrate();

    // Ten requests close 4 ms apart; each one restarts the 50 ms debounce.
    for (let i = 0; i < 10; i++) {
      if (i > 0) await vi.advanceTimersByTimeAsync(4);
      const scope = integration.begin(request(`user-${i}`));
      void scope.tracker.track('Order Placed', { i });
      scope.closed();
    }
    await vi.advanceTimersByTimeAsync(49);
    expect(flushes).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(flushes).toHaveBeenCalledTimes(1);

    const events = await server.waitForEvents(10);
    for (const event of events) expect(event.distinctId).toBe(`user-${event.properties.i}`);
    expect(trackBatchSizes(server)).toEqual([10]);
    expect(errors).toEqual([]);
  });

  it("'coalesced' flushes what a request tracked while it is still open, with no close", async () => {
    const { integration, flushes } = integrate();
    // Frameworks listen for the response's close only when it matters.
    expect(integration.flushesOnClose).toBe(false);
    const scope = integration.begin(request('user-1'));
    void scope.tracker.track('Upload Started');

    // A long request (an upload, a stream): its response has not closed.
    await vi.advanceTimersByTimeAsync(49);
    expect(flushes).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);

    expect(flushes).toHaveBeenCalledTimes(1);
    const [event] = await server.waitForEvents(1);
    expect(event!.distinctId).toBe('user-1');
  });

  it("'on-close' flushes as each request closes", async () => {
    const { integration, flushes } = integrate({ flush: 'on-close' });
    expect(integration.flushesOnClose).toBe(true);
    const scope = integration.begin(request('user-1'));
    void scope.tracker.track('Order Placed');
    await vi.advanceTimersByTimeAsync(1000);
    expect(flushes).not.toHaveBeenCalled();

    scope.closed();

    expect(flushes).toHaveBeenCalledTimes(1);
    const [event] = await server.waitForEvents(1);
    expect(event!.distinctId).toBe('user-1');
  });

  it("'none' never flushes on close: the client's batching (or flush()) delivers", async () => {
    const { integration, flushes } = integrate({ flush: 'none' });
    const scope = integration.begin(request('user-1'));
    void scope.tracker.track('Order Placed');

    scope.closed();
    await vi.advanceTimersByTimeAsync(60_000);

    expect(flushes).not.toHaveBeenCalled();
    expect(server.requests()).toEqual([]);
    await integration.flush();
    expect(server.events().map((e) => e.distinctId)).toEqual(['user-1']);
  });

  it('does not flush for a request that tracked nothing, nor twice for one closed twice', async () => {
    const { integration, flushes } = integrate({ flush: 'on-close' });
    integration.begin(request('user-1')).closed();
    expect(flushes).not.toHaveBeenCalled();

    const scope = integration.begin(request('user-2'));
    void scope.tracker.track('Tracked');
    scope.closed();
    scope.closed();
    expect(flushes).toHaveBeenCalledTimes(1);
    await server.waitForEvents(1);
  });

  it('flushes what a request tracks after its response closed (background work)', async () => {
    const { integration, flushes } = integrate();
    const scope = integration.begin(request('user-1'));
    scope.closed();
    await vi.advanceTimersByTimeAsync(1000);
    expect(flushes).not.toHaveBeenCalled();

    void scope.tracker.track('Email Sent');
    await vi.advanceTimersByTimeAsync(50);

    expect(flushes).toHaveBeenCalledTimes(1);
    await server.waitForEvents({ event: 'Email Sent' });
  });

  it('reports a rejected batch once, from the client it creates', async () => {
    // Its consumer reports through onError itself: the flush's rejection must not be reported
    // a second time.
    const { integration } = integrate({ flush: 'on-close' });
    server.faults.next('/track', { status: 400, body: { error: 'bad batch' } });
    const scope = integration.begin(request('user-1'));
    void scope.tracker.track('Rejected');

    scope.closed();
    await integration.flush();

    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('400');
  });

  it("reports a rejected batch of the user's own client only to its consumer's onError", async () => {
    // With your own client, its failures go to its consumer's onError "instead": the flush's
    // rejection is that same failure, and must not reach the integration's onError as well.
    const consumerErrors: unknown[] = [];
    const client = new Cohorly(TOKEN, {
      consumer: new BufferedConsumer({
        apiHost: server.url,
        flushIntervalMs: 0,
        onError: (error) => consumerErrors.push(error),
      }),
    });
    const { integration } = integrate({ client });
    expect(integration.client).toBe(client);
    server.faults.next('/track', { status: 400, body: { error: 'bad batch' } });
    void integration.begin(request('user-1')).tracker.track('Rejected');

    // The coalesced flush, as a request's tracking asks for it.
    await vi.advanceTimersByTimeAsync(50);
    await integration.flush();

    expect(consumerErrors).toHaveLength(1);
    expect(String(consumerErrors[0])).toContain('400');
    expect(errors).toEqual([]);
  });

  it('gives ignored requests a tracker that sends nothing', async () => {
    const { integration, flushes } = integrate({
      flush: 'on-close',
      ignore: (req) => req.url === '/healthz',
    });
    const health = plainRequest({ url: '/healthz', user: 'probe' });
    expect(integration.ignores(health)).toBe(true);
    expect(integration.ignores(request('user-1'))).toBe(false);
    // A truthy result from plain JS (a match array) ignores too.
    const { integration: matching } = integrate({
      ignore: (req) => req.url?.match(/^\/healthz/) as unknown as boolean,
    });
    expect(matching.ignores(health)).toBe(true);
    expect(matching.ignores(request('user-1'))).toBe(false);

    const tracker = integration.ignored(health);
    await tracker.track('Health Checked');
    await integration.flush();

    expect(flushes).toHaveBeenCalledTimes(1);
    expect(server.requests()).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('names an ignore(req) that throws, and tracks the request', async () => {
    const { integration } = integrate({
      ignore: () => {
        throw new Error('ignore broke');
      },
    });
    expect(integration.ignores(request('user-1'))).toBe(false);
    expect(errors.map(String)).toEqual([
      'Error: ignore(req) threw: ignore broke; the request is tracked',
    ]);
  });

  it('ignores nothing for an async ignore(req), says so once, and never leaves a rejection unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // A Promise is truthy: taken as an answer, it would leave every request alone.
      const { integration } = integrate({
        ignore: (async (req: PlainRequest) => req.url === '/healthz') as never,
      });
      const { integration: rejecting } = integrate({
        ignore: (async () => {
          throw new Error('ignore list unavailable');
        }) as never,
      });
      for (const [i, each] of [integration, integration, rejecting, rejecting].entries()) {
        const req = request(`user-${i}`);
        expect(each.ignores(req)).toBe(false);
        void each.begin(req).tracker.track('Viewed', { i });
      }
      await vi.advanceTimersByTimeAsync(50);

      // Every request's event is delivered, as with no ignore at all.
      const events = await server.waitForEvents(4);
      expect(events.map((e) => e.distinctId).sort()).toEqual([
        'user-0',
        'user-1',
        'user-2',
        'user-3',
      ]);
      // A configuration mistake that repeats on every request: said once per integration.
      const message =
        'TypeError: test(): ignore(req) returned a Promise: it must return synchronously (true to leave the request alone); every request is tracked instead; said once';
      expect(errors.map(String)).toEqual([message, message]);
      // Turns for a stray rejection to surface; the timers are fake, so not setTimeout.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('never lets an onError that throws or rejects reach the request', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { integration: throwing } = integrate({
        ignore: () => {
          throw new Error('ignore broke');
        },
        onError: () => {
          throw new Error('handler broke');
        },
      });
      // An ignore() that throws ignores nothing, and the report of it throws nothing.
      expect(throwing.ignores(request('user-1'))).toBe(false);

      const reported: unknown[] = [];
      const { integration: rejecting } = integrate({
        identify: () => undefined,
        onError: async (error) => {
          reported.push(error);
          throw new Error('log shipper down');
        },
      });
      await rejecting.begin(plainRequest()).tracker.track('Nobody');
      expect(rejecting.ignores(request('user-1'))).toBe(false);
      // Turns for a stray rejection to surface; the timers are fake, so not setTimeout.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(reported).toHaveLength(1);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('close() delivers what is queued and reports it', async () => {
    const { integration } = integrate({ flush: 'none' });
    for (let i = 0; i < 3; i++) void integration.begin(request(`user-${i}`)).tracker.track('E');

    vi.useRealTimers();
    const report = await integration.close({ timeoutMs: 2000 });

    expect(report).toMatchObject({ drained: true, sent: 3, undelivered: 0 });
    expect(server.events()).toHaveLength(3);
  });

  it('close() with a bad timeoutMs says so and still delivers, instead of rejecting', async () => {
    const { integration } = integrate({ flush: 'none' });
    void integration.begin(request('user-1')).tracker.track('E');

    vi.useRealTimers();
    const report = await integration.close({ timeoutMs: '5000' as never });

    expect(report).toMatchObject({ drained: true, sent: 1 });
    expect(server.events()).toHaveLength(1);
    expect(errors.map(String)).toEqual([
      'TypeError: close: timeoutMs must be a number of milliseconds from 0 to 2147483647, got "5000"; closing within the default 10000 ms instead',
    ]);
  });

  it('close() with a timeoutMs past what a timer can wait says so and still delivers', async () => {
    // A timer asked for 2^31 ms fires after 1 ms: the close would have given up at once.
    const { integration } = integrate({ flush: 'none' });
    void integration.begin(request('user-1')).tracker.track('E');

    vi.useRealTimers();
    const report = await integration.close({ timeoutMs: 2 ** 31 });

    expect(report).toMatchObject({ drained: true, sent: 1 });
    expect(server.events()).toHaveLength(1);
    expect(errors.map(String)).toEqual([
      'TypeError: close: timeoutMs must be a number of milliseconds from 0 to 2147483647, got 2147483648; closing within the default 10000 ms instead',
    ]);
  });
});

describe('CohorlyIntegration configuration', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('throws at startup, naming the integration and how to give a token', () => {
    vi.stubEnv('COHORLY_TOKEN', '');
    expect(() => new CohorlyIntegration({}, plainAccessor, 'cohorlyMiddleware()')).toThrow(
      'cohorlyMiddleware(): no Cohorly project token. Pass { token } (or { client }) in the options, or set the COHORLY_TOKEN environment variable.',
    );
  });

  it('throws at startup for an option of the wrong type, naming it', () => {
    const make = (options: object) => () =>
      new CohorlyIntegration({ token: TOKEN, ...options }, plainAccessor, 'x()');
    expect(make({ identify: 'user.id' })).toThrow(
      'x(): identify must be a function, got "user.id"',
    );
    expect(make({ ignore: true })).toThrow('x(): ignore must be a function, got true');
    expect(make({ superProperties: { tenant: 'a' } })).toThrow(
      'x(): superProperties must be a function, got [object Object]',
    );
    expect(make({ onError: 'log' })).toThrow('x(): onError must be a function, got "log"');
    expect(make({ capture: 'ip' })).toThrow(
      'x(): capture must be an object such as { ip: true }, got "ip"',
    );
    expect(make({ anonymousId: 'cookie' })).toThrow(
      'x(): anonymousId must be { header?, cookie? } or false, got "cookie"',
    );
    expect(() => new CohorlyIntegration(undefined as never, plainAccessor, 'x()')).toThrow(
      'x(): options must be an object, got undefined',
    );
  });

  it('rejects an unknown flush mode', () => {
    expect(
      () => new CohorlyIntegration({ token: TOKEN, flush: 'later' as never }, plainAccessor, 'x()'),
    ).toThrow(`x(): flush must be 'coalesced', 'on-close' or 'none', got "later"`);
  });
});

// Exits in well under a second; a child still running after CHILD_KILL_MS is killed and fails
// the test, whose own timeout sits above that bound so that it is the bound that reports a hang.
const CHILD_KILL_MS = 10_000;
const CHILD_TEST_TIMEOUT_MS = CHILD_KILL_MS + 10_000;

describe('an idle integration', () => {
  it('never keeps the process alive, even with events queued and a flush pending', {
    timeout: CHILD_TEST_TIMEOUT_MS,
  }, async () => {
    // The built package, as an app would load it: a timer it left ref'd would hang here.
    const script = `
      import { CohorlyIntegration } from '@cohorly/server-kit';
      const accessor = { header: () => undefined, url: () => '/', ip: () => undefined };
      const integration = new CohorlyIntegration(
        { token: 't', apiHost: 'http://127.0.0.1:9', batching: { flushIntervalMs: 60000 } },
        accessor,
        'test()',
      );
      const scope = integration.begin({});
      await scope.tracker.track('Queued', {}, { distinctId: 'u' });
      scope.closed();
      console.log('done');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    // Whatever happens to the test (a failed assertion, vitest's timeout), the child dies with it.
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_KILL_MS);
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('exit', (c, s) => resolve([c, s])),
    );
    clearTimeout(killer);

    // It exits on its own (a flush that fired before it did may warn on stderr: no matter).
    expect({ code, signal, stdout }).toEqual({ code: 0, signal: null, stdout: 'done\n' });
  });
});
