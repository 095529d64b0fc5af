import { setTimeout as delay } from 'node:timers/promises';
import { gatedFetch } from '@cohorly/test-support';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHarness, EXPRESS_VERSIONS, type Harness } from '../test/harness.js';
import { getRequestCohorly } from './index.js';

/** A service deep in the call chain: it has no `req`, only the async context. */
async function placeOrder(orderId: string): Promise<void> {
  await delay(Number(orderId) % 7);
  await new Promise((resolve) => setImmediate(resolve));
  await getRequestCohorly()?.track('Order Placed', { orderId });
}

describe('getRequestCohorly()', () => {
  it('is undefined outside a request', () => {
    expect(getRequestCohorly()).toBeUndefined();
  });
});

describe.each(EXPRESS_VERSIONS)('getRequestCohorly() on $name', ({ express }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it('returns req.cohorly anywhere in the request, after body parsing and awaits', async () => {
    const app = express();
    app.use(h.middleware());
    // Mounted after cohorly(): its stream callbacks must not lose the request's context.
    app.use(express.json());
    app.post('/', async (req, res) => {
      const atStart = getRequestCohorly();
      await delay(1);
      const afterAwait = getRequestCohorly();
      const inCallback = await new Promise((resolve) =>
        setTimeout(() => resolve(getRequestCohorly()), 1),
      );
      res.json({
        body: req.body,
        same: [atStart, afterAwait, inCallback].every((tracker) => tracker === req.cohorly),
      });
    });
    const { url } = await h.serve(app);

    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });

    expect(await response.json()).toEqual({ body: { a: 1 }, same: true });
  });

  it('keeps concurrent requests apart: each event goes to its own user', async () => {
    const app = express();
    app.use(h.middleware({ identify: (req) => req.headers['x-user'] as string | undefined }));
    app.post('/orders/:id', async (req, res) => {
      await placeOrder(req.params.id!);
      res.sendStatus(201);
    });
    const { url } = await h.serve(app);

    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${url}/orders/${i}`, { method: 'POST', headers: { 'x-user': `user-${i}` } }).then(
          (r) => r.status,
        ),
      ),
    );

    expect(statuses).toEqual(Array(50).fill(201));
    const events = await h.cohorlyServer.waitForEvents(50);
    for (const event of events) expect(event.distinctId).toBe(`user-${event.properties.orderId}`);
    expect(new Set(events.map((e) => e.properties.orderId)).size).toBe(50);
  });

  it('is undefined again once the request is over', async () => {
    const app = express();
    app.use(h.middleware());
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const { url } = await h.serve(app);

    await fetch(url);
    // A timer started outside any request sees no tracker.
    const later = new Promise((resolve) => setTimeout(() => resolve(getRequestCohorly()), 1));

    expect(await later).toBeUndefined();
  });

  it.each([
    ["the coalesced flush a request's event asked for", 'coalesced' as const],
    ['the flush timer, started during the first request', 'none' as const],
    ["the 'on-close' flush, started by the first response's close", 'on-close' as const],
  ])('is undefined in %s: it belongs to no request', async (_, flush) => {
    const seen: unknown[] = [];
    const app = express();
    const analytics = h.middleware({
      flush,
      // A real (short) timer: what is tested is the async context it runs in, which fake
      // timers do not carry.
      batching: { flushIntervalMs: flush === 'none' ? 20 : 0 },
      identify: (req) => req.headers['x-user'] as string | undefined,
      // Delivery fails, so onError runs inside whatever context the flush has.
      onError: () => seen.push(getRequestCohorly()?.distinctId ?? 'no request'),
    });
    app.use(analytics);
    app.get('/', (req, res) => {
      void req.cohorly.track('Visited');
      res.send('ok');
    });
    const { url } = await h.serve(app);
    h.cohorlyServer.faults.failFor('/track', 60_000);

    await fetch(url, { headers: { 'x-user': 'first-visitor' } });
    await vi.waitUntil(() => seen.length > 0, { timeout: 5000 });

    expect(seen).toEqual(['no request']);
    // Nothing more is to be delivered here: without a deadline, close() would wait out the
    // backoff window of the failed delivery (the harness's close is then a no-op).
    await analytics.close({ timeoutMs: 0 });
  });

  it('is undefined in a flush() a handler awaits: it belongs to no request', async () => {
    const seen: unknown[] = [];
    const app = express();
    const analytics = h.middleware({
      flush: 'on-close',
      identify: (req) => req.headers['x-user'] as string | undefined,
      // What a custom fetch sees is the async context of the flush that sends.
      fetch: (input, init) => {
        seen.push(getRequestCohorly()?.distinctId ?? 'no request');
        return fetch(input, init);
      },
    });
    app.use(analytics);
    app.get('/', async (req, res) => {
      void req.cohorly.track('Checked Out');
      await analytics.flush();
      res.send('flushed');
    });
    const { url } = await h.serve(app);

    const response = await fetch(url, { headers: { 'x-user': 'first-visitor' } });

    expect(await response.text()).toBe('flushed');
    expect(seen).toEqual(['no request']);
    expect(h.cohorlyServer.events().map((event) => event.distinctId)).toEqual(['first-visitor']);
  });

  it("is undefined in every 'on-close' flush, also in one that follows a request's flush still on the wire", async () => {
    // The flush that runs after the one in flight must not run in the context of the request
    // that started that one: under steady traffic, every flush would, keeping that request
    // (its req, res, body) in memory as long as traffic lasts, and showing its user's tracker
    // to the delivery of everyone else's events.
    const seen: unknown[] = [];
    const gated = gatedFetch();
    const app = express();
    app.use(
      h.middleware({
        flush: 'on-close',
        identify: (req) => req.headers['x-user'] as string | undefined,
        fetch: (input, init) => {
          seen.push(getRequestCohorly()?.distinctId ?? 'no request');
          return gated.fetch(input, init);
        },
      }),
    );
    app.get('/', (req, res) => {
      void req.cohorly.track('Visited');
      res.send('ok');
    });
    const { url } = await h.serve(app);

    await (await fetch(url, { headers: { 'x-user': 'first-visitor' } })).text();
    // The first visitor's flush is on the wire; the second visitor's close asks for the next.
    await vi.waitUntil(() => gated.requests() === 1, { timeout: 5000 });
    await (await fetch(url, { headers: { 'x-user': 'second-visitor' } })).text();
    gated.release();
    const events = await h.cohorlyServer.waitForEvents(2);

    expect(events.map((event) => event.distinctId).sort()).toEqual([
      'first-visitor',
      'second-visitor',
    ]);
    expect(seen).toEqual(['no request', 'no request']);
  });
});
