import { gatedFetch } from '@cohorly/test-support';
import { startTestServer, type TestServer } from '@cohorly/testing';
import { notFound, redirect } from 'next/navigation.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FetchLike } from '@cohorly/core';
import type { CohorlyServer } from './cohorly-server.js';
import { createCohorlyServer } from './create-cohorly-server.js';
import type { CohorlyServerOptions } from './cohorly-server-options.js';
import { getCohorlyServer, trackServer } from './default-server.js';

// Outside a Next.js request scope, as in scripts, tests and instrumentation.ts: the calls
// below are the real ones, talking HTTP to a real Cohorly-compatible server. The request
// scope (after(), cookies()) is exercised by the example app's end-to-end tests.

let server: TestServer;
const created: CohorlyServer[] = [];
let tokens = 0;

function make(options: CohorlyServerOptions = {}): CohorlyServer & { errors: unknown[] } {
  const errors: unknown[] = [];
  const cohorly = createCohorlyServer({
    // A token per test: each test gets its own process-wide client.
    token: `token-${++tokens}`,
    apiHost: server.url,
    onError: (error) => errors.push(error),
    ...options,
  });
  created.push(cohorly);
  return Object.assign(cohorly, { errors });
}

/** Lets pending I/O run until `done()` holds; bounded. */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 20_000 && !done(); turn++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (!done()) throw new Error('condition not reached');
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  await server.close();
  await Promise.all(created.splice(0).map((cohorly) => cohorly.close({ timeoutMs: 0 })));
  delete (globalThis as Record<symbol, unknown>)[Symbol.for('@cohorly/next/process-state@1')];
});

describe('outside a request scope (scripts, tests, instrumentation.ts)', () => {
  it('resolves once the event is delivered', async () => {
    const cohorly = make();
    await cohorly.trackServer('Import Finished', { rows: 3 }, { distinctId: 'job-1' });
    expect(server.events()).toMatchObject([
      { event: 'Import Finished', distinctId: 'job-1', properties: { rows: 3, $lib: 'node' } },
    ]);
    expect(cohorly.errors).toEqual([]);
  });

  it('uses getDistinctId() when no distinctId is given, and skips it when one is', async () => {
    const getDistinctId = vi.fn(async () => 'user-9');
    const cohorly = make({ getDistinctId });
    await cohorly.trackServer('Viewed');
    await cohorly.trackServer('Viewed', {}, { distinctId: 'explicit' });
    expect(server.events().map((event) => event.distinctId)).toEqual(['user-9', 'explicit']);
    expect(getDistinctId).toHaveBeenCalledTimes(1);
  });

  it('does not send an event without a distinct id, and says why', async () => {
    const cohorly = make({ getDistinctId: () => undefined });
    await expect(cohorly.trackServer('Orphan')).resolves.toBeUndefined();
    expect(server.requests()).toEqual([]);
    expect(cohorly.errors.map(messageOf)).toEqual([
      expect.stringMatching(/track "Orphan" was not sent: this request has no distinct id/),
    ]);
  });

  it('reports a getDistinctId() that throws and carries on without it', async () => {
    const cohorly = make({
      getDistinctId: () => {
        // Next.js gives every error thrown while rendering a digest of its own.
        throw Object.assign(new Error('session store down'), { digest: '2870853745' });
      },
    });
    await cohorly.trackServer('Viewed');
    await cohorly.trackServer('Viewed', {}, { distinctId: 'u1' });
    expect(server.events().map((event) => event.distinctId)).toEqual(['u1']);
    expect(cohorly.errors.map(messageOf)).toEqual([
      'getDistinctId() threw, so the anonymous id was used: session store down',
      expect.stringMatching(/no distinct id/),
    ]);
  });

  it('passes a redirect() or notFound() thrown by getDistinctId() through untouched, and says the message was not sent', async () => {
    let thrown: unknown;
    const cohorly = make({
      getDistinctId: () => {
        try {
          redirect('/login');
        } catch (error) {
          thrown = error;
          throw error;
        }
      },
    });
    const rejection = await cohorly.trackServer('Viewed').catch((error: unknown) => error);
    expect(rejection).toBe(thrown);
    expect((rejection as { digest: string }).digest).toMatch(/^NEXT_REDIRECT;/);

    const missing = make({ getDistinctId: () => notFound() });
    await expect(missing.trackServer('Viewed')).rejects.toMatchObject({
      digest: expect.stringMatching(/^NEXT_HTTP_ERROR_FALLBACK;404/),
    });
    expect(server.requests()).toEqual([]);
    // Before, nothing said the message was lost.
    expect([...cohorly.errors, ...missing.errors].map(messageOf)).toEqual([
      `track "Viewed" was not sent: getDistinctId() threw Next.js's redirect(), which only takes effect where the promise trackServer() returns is awaited`,
      `track "Viewed" was not sent: getDistinctId() threw Next.js's notFound(), which only takes effect where the promise trackServer() returns is awaited`,
    ]);
    expect(cohorly.errors[0]).toMatchObject({ cause: thrown });
  });

  it('reports a redirect() from getDistinctId() that nobody awaits, without an unhandled rejection', async () => {
    // As in a request: the delivery is kept alive (after(), here a waitUntil), and the
    // handler does `void trackServer(...)`. Before, the message vanished without a word.
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      const kept: Promise<unknown>[] = [];
      const cohorly = make({
        waitUntil: (promise) => kept.push(promise),
        getDistinctId: () => redirect('/login'),
      });
      void cohorly.peopleSet({ plan: 'pro' });
      void cohorly.trackServer('Dashboard Viewed');
      await Promise.all(kept);
      await new Promise((resolve) => setImmediate(resolve));
      expect(cohorly.errors.map(messageOf)).toEqual([
        expect.stringMatching(
          /^peopleSet was not sent: getDistinctId\(\) threw Next.js's redirect\(\)/,
        ),
        expect.stringMatching(
          /^track "Dashboard Viewed" was not sent: getDistinctId\(\) threw Next.js's redirect\(\)/,
        ),
      ]);
      expect(unhandled).toEqual([]);
      expect(server.requests()).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  it('retries through a backoff window within flushTimeoutMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    server.faults.next('/track', { status: 503, headers: { 'Retry-After': '2' } });
    const cohorly = make();
    let settled = false;
    const tracking = cohorly.trackServer('Paid', {}, { distinctId: 'u1' }).then(() => {
      settled = true;
    });
    await until(() => server.requests().some((request) => request.status === 503));
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(2000);
    await tracking;
    expect(server.events()).toMatchObject([{ event: 'Paid', distinctId: 'u1' }]);
    expect(server.requests().map((request) => request.status)).toEqual([503, 200]);
    // The failed attempt was reported; the delivery then succeeded.
    expect(cohorly.errors.map(messageOf)).toEqual([expect.stringMatching(/status 503/)]);
  });

  it('gives up at flushTimeoutMs without rejecting, and keeps the event queued', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    server.faults.next('/track', { delayMs: 60_000 });
    const cohorly = make({ flushTimeoutMs: 3000 });
    const tracking = cohorly.trackServer('Slow', {}, { distinctId: 'u1' });
    await until(() => server.requests().length === 1);
    await vi.advanceTimersByTimeAsync(3000);
    await expect(tracking).resolves.toBeUndefined();
    expect(cohorly.errors.map(messageOf)).toEqual([
      'delivery did not finish within flushTimeoutMs (3000 ms); messages still queued: 1 (sent with the next flush, lost if the process exits first)',
    ]);
  });

  it('delivers alias and profile updates', async () => {
    const cohorly = make({ getDistinctId: () => 'user-1' });
    await cohorly.alias('user-1@example.com');
    await cohorly.peopleSet({ plan: 'pro' });
    await cohorly.peopleSetOnce({ firstSeen: '2026-01-01' });
    await cohorly.peopleIncrement({ logins: 2 });
    await cohorly.peopleUnset(['firstSeen']);
    await cohorly.peopleSet({ plan: 'team' }, { distinctId: 'user-2' });
    await cohorly.peopleDelete({ distinctId: 'user-2' });
    expect(server.aliases()).toMatchObject([{ alias: 'user-1@example.com', distinctId: 'user-1' }]);
    expect(server.profiles()).toMatchObject([
      { distinctId: 'user-1', properties: { plan: 'pro', logins: 2 } },
    ]);
    expect(cohorly.errors).toEqual([]);
  });
});

describe('with a waitUntil (a platform function, a Pages Router API route)', () => {
  it('resolves before delivery and hands the delivery to the waitUntil given', async () => {
    // The delivery is held until the test lets it go: an answer that waited for it would
    // never come.
    const held = gatedFetch();
    const kept: Promise<unknown>[] = [];
    const cohorly = make({ waitUntil: (promise) => kept.push(promise), fetch: held.fetch });
    try {
      let answered = false;
      void cohorly.trackServer('Checked Out', {}, { distinctId: 'u1' }).then(() => {
        answered = true;
      });
      await until(() => answered);
      expect(kept).toHaveLength(1);
      // The caller got its answer while the delivery had not reached the server.
      expect(server.requests()).toEqual([]);
    } finally {
      held.release();
    }
    await Promise.all(kept);
    expect(server.requests().map((request) => request.status)).toEqual([200]);
    expect(server.events()).toMatchObject([{ event: 'Checked Out', distinctId: 'u1' }]);
  });

  it("finds Vercel's waitUntil in the request context Vercel publishes", async () => {
    const kept: Promise<unknown>[] = [];
    const key = Symbol.for('@vercel/request-context');
    const holder = globalThis as Record<symbol, unknown>;
    holder[key] = { get: () => ({ waitUntil: (promise: Promise<unknown>) => kept.push(promise) }) };
    try {
      const cohorly = make();
      await cohorly.trackServer('Vercel', {}, { distinctId: 'u1' });
      expect(kept).toHaveLength(1);
      await Promise.all(kept);
      expect(server.events()).toMatchObject([{ event: 'Vercel' }]);
    } finally {
      delete holder[key];
    }
  });

  it('awaits the delivery itself when the waitUntil given throws', async () => {
    const cohorly = make({
      waitUntil: () => {
        throw new Error('no current invocation');
      },
    });
    await cohorly.trackServer('Fallback', {}, { distinctId: 'u1' });
    expect(server.events()).toMatchObject([{ event: 'Fallback' }]);
  });
});

describe('never throws into your code', () => {
  it('reports bad input instead of throwing', async () => {
    const cohorly = make();
    await expect(cohorly.trackServer('', {}, { distinctId: 'u1' })).resolves.toBeUndefined();
    await expect(
      cohorly.trackServer('Big', { n: 1n as never }, { distinctId: 'u1' }),
    ).resolves.toBeUndefined();
    expect(cohorly.errors).toHaveLength(2);
    expect(cohorly.errors.every((error) => error instanceof TypeError)).toBe(true);
    expect(server.requests()).toEqual([]);
  });

  it("refuses per-call options other than { distinctId }, instead of sending to getDistinctId()'s user", async () => {
    // An admin acts for account owner-7, with the option names of other SDKs.
    const cohorly = make({ getDistinctId: async () => 'admin-1' });
    await expect(
      cohorly.trackServer('Invoice Sent', { amount: 120 }, { distinct_id: 'owner-7' } as never),
    ).resolves.toBeUndefined();
    await expect(
      cohorly.peopleSet({ last_invoice: 120 }, { userId: 'owner-7' } as never),
    ).resolves.toBeUndefined();
    await expect(
      cohorly.trackServer('Invoice Sent', {}, 'owner-7' as never),
    ).resolves.toBeUndefined();
    expect(cohorly.errors.map(messageOf)).toEqual([
      'track "Invoice Sent" was not sent: distinct_id is not an option (did you mean distinctId?)',
      'peopleSet was not sent: userId is not an option (did you mean distinctId?)',
      'track "Invoice Sent" was not sent: options must be an object such as { distinctId: "owner-7" }, got "owner-7"',
    ]);
    expect(cohorly.errors.every((error) => error instanceof TypeError)).toBe(true);
    expect(server.requests()).toEqual([]);
    await cohorly.trackServer('Invoice Paid', {}, { distinctId: 'owner-7' });
    expect(server.events().map((event) => [event.event, event.distinctId])).toEqual([
      ['Invoice Paid', 'owner-7'],
    ]);
  });

  it('causes no unhandled rejection when delivery fails, awaited or not', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      server.faults.next('*', [{ drop: true }, { status: 400 }, { drop: true }, { status: 400 }]);
      const cohorly = make({ flushTimeoutMs: 0 });
      void cohorly.trackServer('Lost', {}, { distinctId: 'u1' });
      await cohorly.trackServer('Rejected', {}, { distinctId: 'u1' });
      await cohorly.flush();
      await cohorly.flush();
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(cohorly.errors.length).toBeGreaterThan(0);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  it('reports a missing token on use, not at creation (next build needs no token)', async () => {
    vi.stubEnv('COHORLY_TOKEN', '');
    const errors: unknown[] = [];
    const cohorly = createCohorlyServer({ onError: (error) => errors.push(error) });
    created.push(cohorly);
    await expect(cohorly.trackServer('X', {}, { distinctId: 'u1' })).resolves.toBeUndefined();
    expect(errors.map(messageOf)).toEqual([
      expect.stringMatching(/no Cohorly project token.*COHORLY_TOKEN/),
    ]);
    expect(() => cohorly.client).toThrow(/no Cohorly project token/);
    await expect(cohorly.flush()).resolves.toBeUndefined();
    await expect(cohorly.close()).resolves.toMatchObject({ drained: true, undelivered: 0 });
  });

  it('rejects options of the wrong type at creation', () => {
    expect(() => createCohorlyServer({ getDistinctId: 'u1' as never })).toThrow(
      /getDistinctId must be a function/,
    );
    expect(() => createCohorlyServer({ anonymousIdCookie: '' })).toThrow(/anonymousIdCookie/);
    for (const flushTimeoutMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(() => createCohorlyServer({ flushTimeoutMs })).toThrow(
        `createCohorlyServer(): flushTimeoutMs must be a number of milliseconds from 0 to 2147483647, got ${flushTimeoutMs}`,
      );
    }
  });
});

describe('one client per process', () => {
  it('tracks with no setup beyond COHORLY_TOKEN and COHORLY_API_HOST', async () => {
    vi.stubEnv('COHORLY_TOKEN', 'env-token');
    vi.stubEnv('COHORLY_API_HOST', server.url);
    await trackServer('From Env', { ok: true }, { distinctId: 'u1' });
    expect(server.events()).toMatchObject([{ event: 'From Env', token: 'env-token' }]);
    created.push(getCohorlyServer());
  });

  it('makes the server created last the one the bare trackServer uses', async () => {
    const configured = make({ getDistinctId: () => 'configured-user' });
    expect(getCohorlyServer()).toBe(configured);
    await trackServer('Shared');
    expect(server.events()).toMatchObject([{ event: 'Shared', distinctId: 'configured-user' }]);
  });

  it('shares one client between servers of the same project, until it is closed', async () => {
    const options = { token: 'same', apiHost: server.url };
    const first = createCohorlyServer(options);
    const second = createCohorlyServer({ ...options, getDistinctId: () => 'u2' });
    created.push(first, second);
    expect(second.client).toBe(first.client);
    expect(make().client).not.toBe(first.client);
    await first.close();
    const third = createCohorlyServer(options);
    created.push(third);
    expect(third.client).not.toBe(second.client);
  });

  it('answers a close() made while another runs with the same report, once it is done', async () => {
    // SIGTERM and SIGINT handlers, or two modules, closing at once: the second call resolved
    // at once with nothing sent, while the first was still delivering.
    const held = gatedFetch();
    const cohorly = make({ fetch: held.fetch });
    for (const name of ['A', 'B', 'C']) void cohorly.client.track('u1', name);
    const first = cohorly.close({ timeoutMs: 5000 });
    const second = cohorly.close({ timeoutMs: 5000 });
    let secondDone = false;
    void second.then(() => {
      secondDone = true;
    });
    await until(() => held.requests() === 1);
    expect(secondDone).toBe(false);
    held.release();
    const reports = await Promise.all([first, second]);
    expect(reports).toEqual([reports[0], reports[0]]);
    expect(reports[0]).toMatchObject({ drained: true, sent: 3 });
    expect(server.events().map((event) => event.event)).toEqual(['A', 'B', 'C']);
  });

  it('flushes its project’s client even if it never tracked (the server of a hot reload)', async () => {
    const options = { token: 'flushed-project', apiHost: server.url };
    const before = createCohorlyServer({ ...options, batching: { flushIntervalMs: 0 } });
    created.push(before);
    // Queued (no timer, a batch of 50 not reached), as events are between two flushes.
    await before.client.track('u1', 'Queued Before Reload');
    expect(server.requests()).toEqual([]);
    const after = createCohorlyServer({ ...options, batching: { flushIntervalMs: 0 } });
    created.push(after);

    // Before, it returned at once and delivered nothing: it had no client of its own yet.
    await getCohorlyServer().flush();
    expect(server.events().map((event) => event.event)).toEqual(['Queued Before Reload']);
  });

  it('closes its project’s client even if it never tracked (the server of a hot reload)', async () => {
    const options = { token: 'reloaded-project', apiHost: server.url };
    const before = createCohorlyServer(options);
    created.push(before);
    void before.client.track('u1', 'Queued Before Reload');
    const after = createCohorlyServer(options);
    created.push(after);

    await expect(getCohorlyServer().close()).resolves.toMatchObject({
      drained: true,
      sent: 1,
      undelivered: 0,
    });
    expect(server.events().map((event) => event.event)).toEqual(['Queued Before Reload']);
  });

  it('gives servers of the same project with different fetch options a client each', async () => {
    const sentWith: string[] = [];
    const via =
      (name: string): FetchLike =>
      (input, init) => {
        sentWith.push(name);
        return globalThis.fetch(input, init);
      };
    const proxied = via('proxy');
    const options = { token: 'same-project', apiHost: server.url };
    const first = createCohorlyServer({ ...options, fetch: proxied });
    const second = createCohorlyServer({ ...options, fetch: via('custom CA') });
    const third = createCohorlyServer({ ...options, fetch: proxied });
    created.push(first, second, third);

    await first.trackServer('Via Proxy', {}, { distinctId: 'u1' });
    await second.trackServer('Via Custom CA', {}, { distinctId: 'u2' });

    expect(sentWith).toEqual(['proxy', 'custom CA']);
    expect(server.events().map((event) => event.event)).toEqual(['Via Proxy', 'Via Custom CA']);
    expect(second.client).not.toBe(first.client);
    expect(third.client).toBe(first.client);
  });
});
