import { describe, expect, it } from 'vitest';
import { call } from './app-process.js';
import { startAppFor, useCohorlyServer } from './cohorly-fixture.js';

const USERS = 200;

describe('200 concurrent checkouts by 200 users', () => {
  const cohorlyServer = useCohorlyServer();

  it('attribute every event to its own user, and lose or duplicate none', async () => {
    const cohorly = cohorlyServer();
    const app = await startAppFor(cohorly);
    const responses = await Promise.all(
      Array.from({ length: USERS }, (_, i) =>
        call(`${app.url}/checkout`, {
          body: { items: [{ sku: `sku-${i}`, quantity: 1, unitPrice: i }] },
          headers: { authorization: `Bearer user-${i}` },
        }),
      ),
    );
    const orderOf = new Map<string, string>();
    responses.forEach((response, i) => {
      expect(response.status).toBe(201);
      const order = response.body as { orderId: string; total: number };
      expect(order.total).toBe(i);
      orderOf.set(`user-${i}`, order.orderId);
    });

    const events = await cohorly.waitForEvents(
      { event: 'Checkout Completed' },
      { count: USERS, timeoutMs: 15_000 },
    );
    for (const event of events) {
      // Each event carries the order its own user placed, and that user's price.
      expect(event.properties.orderId).toBe(orderOf.get(event.distinctId));
      expect(`user-${event.properties.total}`).toBe(event.distinctId);
    }
    expect(new Set(events.map((e) => e.distinctId)).size).toBe(USERS);

    // After a clean shutdown nothing more can arrive: count what went over the wire.
    expect(await app.stop()).toEqual({ code: 0, signal: null });
    const sent = cohorly
      .requests()
      .filter((request) => request.path === '/track' && request.status === 200)
      .flatMap((request) => request.json as { properties: { $insert_id: string } }[]);
    expect(sent).toHaveLength(USERS);
    expect(new Set(sent.map((event) => event.properties.$insert_id)).size).toBe(USERS);
    // Batched: far fewer Cohorly requests than HTTP requests.
    expect(cohorly.requests().filter((r) => r.path === '/track').length).toBeLessThan(USERS / 2);
    // The profile updates went to the right users too.
    const profiles = cohorly.profiles();
    expect(profiles).toHaveLength(USERS);
    for (const profile of profiles) {
      expect(`user-${profile.properties.revenue}`).toBe(profile.distinctId);
    }
    expect(app.output()).not.toContain('unhandledRejection');
  });
});
