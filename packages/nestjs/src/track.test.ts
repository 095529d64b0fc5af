import { startTestServer } from '@cohorly/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { PLATFORMS, request } from '../test/nest-harness.js';
import { useShop } from '../test/shop-under-test.js';
import { Track } from './index.js';

// One Cohorly test server for the whole file, started as it loads.
const server = await startTestServer();
afterAll(() => server.close());

describe.each(PLATFORMS)('@Track on %s', (platform) => {
  const shop = useShop(platform, server);

  /** Tracks a marker and waits for it: everything tracked before it has been flushed too. */
  async function settle(name: string): Promise<void> {
    expect((await request(`${shop.url}/marker/${name}`, { user: 'marker' })).status).toBe(200);
    await server.waitForEvents({ event: 'Marker', properties: { name } }, { timeoutMs: 10_000 });
  }

  it('tracks after the handler succeeds, for the user the guard found, with the result', async () => {
    const response = await request(`${shop.url}/orders?coupon=x`, { user: 'alice', body: {} });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ id: 'o-1', total: 42 });
    const [event] = await server.waitForEvents({ event: 'Order Placed' }, { timeoutMs: 10_000 });
    expect(event).toMatchObject({
      distinctId: 'alice',
      token: 'T',
      // The query string is left out of $path by default.
      properties: { total: 42, $path: '/orders', $lib: 'node' },
    });
  });

  it('tracks nothing when the handler throws, and the client gets the error as usual', async () => {
    const response = await request(`${shop.url}/fail`, { user: 'bob' });
    expect(response.status).toBe(500);
    await settle('after-fail');
    expect(server.events({ event: 'Should Not Arrive' })).toEqual([]);
    expect(shop.errors).toEqual([]);
  });

  it('tracks nothing when a guard refuses the request', async () => {
    const response = await request(`${shop.url}/orders`, { user: 'blocked', body: {} });
    expect(response.status).toBe(403);
    await settle('after-guard');
    expect(server.events({ event: 'Order Placed' })).toEqual([]);
  });

  it('reports a properties() that throws to onError and still answers the request', async () => {
    const response = await request(`${shop.url}/bad-properties`, { user: 'carol' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    await settle('after-bad-properties');
    expect(server.events({ event: 'Bad Properties' })).toEqual([]);
    expect(shop.errors.map(String)).toEqual([
      'Error: @Track("Bad Properties") was not sent: its properties() threw: no such field',
    ]);
  });

  it('tracks every @Track of a handler, in the order they are written', async () => {
    expect((await request(`${shop.url}/two-events`, { user: 'dora' })).status).toBe(200);
    await settle('after-two-events');
    expect(
      server
        .events()
        .filter((event) => event.event !== 'Marker')
        .map(({ event, distinctId, properties }) => ({ event, distinctId, step: properties.step })),
    ).toEqual([
      { event: 'First Tracked', distinctId: 'dora', step: undefined },
      { event: 'Second Tracked', distinctId: 'dora', step: 2 },
    ]);
    expect(shop.errors).toEqual([]);
  });

  it('reports a properties() that returns a Promise, naming the @Track, and answers the request', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      for (const path of ['async-properties', 'rejected-properties']) {
        const response = await request(`${shop.url}/${path}`, { user: 'erin' });
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ ok: true });
      }
      await settle('after-async-properties');
      // Let a stray rejection surface before looking.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(server.events().map((event) => event.event)).toEqual(['Marker']);
    const synchronously =
      "its properties() returned a Promise: it must return the properties synchronously (it receives the handler's result, already resolved)";
    expect(shop.errors.map(String)).toEqual([
      `Error: @Track("Async Properties") was not sent: ${synchronously}`,
      `Error: @Track("Rejected Properties") was not sent: ${synchronously}`,
    ]);
  });

  it('uses the anonymous id when no user signed in, and reports a request with neither', async () => {
    await request(`${shop.url}/orders`, {
      body: {},
      headers: { 'x-cohorly-anonymous-id': 'anon-7' },
    });
    await request(`${shop.url}/orders`, {
      body: {},
      headers: { cookie: 'cohorly_anonymous_id=anon-8' },
    });
    const response = await request(`${shop.url}/orders`, { body: {} });
    expect(response.status).toBe(201);
    const events = await server.waitForEvents(
      { event: 'Order Placed' },
      { count: 2, timeoutMs: 10_000 },
    );
    expect(events.map((event) => event.distinctId).sort()).toEqual(['anon-7', 'anon-8']);
    await settle('after-anonymous');
    expect(server.events({ event: 'Order Placed' })).toHaveLength(2);
    expect(shop.errors.map(String)).toEqual([
      expect.stringContaining('track "Order Placed" was not sent: this request has no distinct id'),
    ]);
  });

  it('never attributes an event to another concurrent request’s user', async () => {
    const users = Array.from({ length: 100 }, (_, index) => `user-${index}`);
    const responses = await Promise.all(
      users.map((user) => request(`${shop.url}/viewed/${user}`, { user })),
    );
    expect(responses.map((response) => response.status)).toEqual(users.map(() => 200));
    const events = await server.waitForEvents(
      { event: 'Page Viewed' },
      { count: users.length, timeoutMs: 15_000 },
    );
    // Each handler tracked its own user's id as `page`, after an await.
    for (const event of events) expect(event.properties.page).toBe(event.distinctId);
    expect(new Set(events.map((event) => event.distinctId)).size).toBe(users.length);
  });
});

describe('@Track on one handler twice', () => {
  it('refuses the same event twice when the class is defined, naming the handler', () => {
    expect(() => {
      class OrdersController {
        @Track('Order Listed')
        @Track('Order Listed')
        list(): void {}
      }
      return OrdersController;
    }).toThrow(
      '@Track("Order Listed") is applied twice to OrdersController.list(): each @Track sends its event, so it would be sent twice per request. Remove one.',
    );
  });
});
