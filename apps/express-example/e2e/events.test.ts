import type { TestServer } from '@cohorly/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { call, oneItemCart, type RunningApp } from './app-process.js';
import { startAppFor, TOKEN, useCohorlyServer } from './cohorly-fixture.js';

describe('the example app tracks a customer journey', () => {
  const cohorlyServer = useCohorlyServer();
  let cohorly: TestServer;
  let app: RunningApp;

  beforeEach(async () => {
    cohorly = cohorlyServer();
    app = await startAppFor(cohorly);
  });

  it('sign-up, login and checkout arrive with the right ids, properties, insert ids and times', async () => {
    const before = Date.now();
    const signup = await call(`${app.url}/signup`, {
      body: { email: 'ann@example.com', plan: 'pro' },
      headers: { 'x-cohorly-anonymous-id': 'anon-ann', 'user-agent': 'e2e-browser/1.0' },
    });
    expect(signup.status).toBe(201);
    const { userId } = signup.body as { userId: string };

    const login = await call(`${app.url}/login`, { body: { email: 'ann@example.com' } });
    expect(login.body).toEqual({ userId });
    // The session cookie is what signs the checkout in (no Authorization header).
    const session = login.headers.get('set-cookie')!.split(';')[0]!;
    const checkout = await call(`${app.url}/checkout?coupon=ANN-SECRET`, {
      body: oneItemCart(12.5),
      headers: { cookie: session },
    });
    expect(checkout.status).toBe(201);
    const order = checkout.body as { orderId: string; total: number };
    expect(order.total).toBe(25);

    const events = await cohorly.waitForEvents({ distinctId: userId }, { count: 3 });
    const after = Date.now();
    expect(events.map((e) => [e.event, e.distinctId])).toEqual([
      ['Signed Up', userId],
      ['Logged In', userId],
      ['Checkout Completed', userId],
    ]);
    for (const event of events) {
      expect(event.token).toBe(TOKEN);
      expect(event.insertId).toMatch(/^[0-9a-f]{32}$/);
      const time = event.properties.time as number;
      expect(Number.isInteger(time)).toBe(true);
      expect(time).toBeGreaterThanOrEqual(before);
      expect(time).toBeLessThanOrEqual(after);
      expect(event.properties).toMatchObject({ service: 'express-example', $lib: 'node' });
      // No IP unless asked for.
      expect(event.properties).not.toHaveProperty('ip');
    }
    expect(new Set(events.map((e) => e.insertId)).size).toBe(3);
    expect(events[0]!.properties).toMatchObject({
      plan: 'pro',
      $path: '/signup',
      $user_agent: 'e2e-browser/1.0',
    });
    expect(events[2]!.properties).toMatchObject({
      // The query string (with its coupon code) is left out.
      $path: '/checkout',
      orderId: order.orderId,
      total: 25,
      items: 1,
      currency: 'EUR',
    });

    // The anonymous visitor was linked to the account, and the profile was kept.
    await app.stop();
    expect(cohorly.aliases()).toMatchObject([{ alias: userId, distinctId: 'anon-ann' }]);
    expect(cohorly.profiles()).toMatchObject([
      {
        distinctId: userId,
        properties: { $email: 'ann@example.com', plan: 'pro', logins: 1, orders: 1, revenue: 25 },
      },
    ]);
  });

  it('attributes anonymous events to the anonymous id; health checks answer and track nothing', async () => {
    const health = await call(`${app.url}/healthz`, {
      headers: { 'x-cohorly-anonymous-id': 'probe' },
    });
    expect(health).toMatchObject({ status: 200, body: { ok: true } });
    const failed = await call(`${app.url}/login`, {
      body: { email: 'nobody@example.com' },
      headers: { cookie: 'cohorly_anonymous_id=anon-cookie' },
    });
    expect(failed).toMatchObject({ status: 401, body: { error: 'unknown email' } });
    const refused = await call(`${app.url}/checkout`, { body: oneItemCart() });
    expect(refused).toMatchObject({ status: 401, body: { error: 'sign in first' } });

    const [event] = await cohorly.waitForEvents({ event: 'Login Failed' });
    expect(event!.distinctId).toBe('anon-cookie');

    const exit = await app.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(cohorly.events().map((e) => e.event)).toEqual(['Login Failed']);
    expect(app.output()).not.toContain('unhandledRejection');
  });

  it('tracks a catalog view for the signed-in user, with the catalog in the answer', async () => {
    const signup = await call(`${app.url}/signup`, { body: { email: 'cat@example.com' } });
    const { userId } = signup.body as { userId: string };
    const products = await call(`${app.url}/products`, {
      headers: { authorization: `Bearer ${userId}` },
    });
    expect(products.status).toBe(200);
    expect(products.body).toHaveLength(3);

    const [event] = await cohorly.waitForEvents({ event: 'Products Viewed' });
    expect(event!.distinctId).toBe(userId);
    expect(event!.properties).toMatchObject({ count: 3, $path: '/products' });
    await app.stop();
  });

  it('links only an anonymous visitor to a new account, never a signed-in user', async () => {
    const first = await call(`${app.url}/signup`, {
      body: { email: 'first@example.com' },
      headers: { 'x-cohorly-anonymous-id': 'anon-first' },
    });
    const { userId: firstId } = first.body as { userId: string };
    const session = first.headers.get('set-cookie')!.split(';')[0]!;
    // Signed in as the first account, the same person opens a second one.
    const second = await call(`${app.url}/signup`, {
      body: { email: 'second@example.com' },
      headers: { cookie: session, 'x-cohorly-anonymous-id': 'anon-first' },
    });
    expect(second.status).toBe(201);
    const { userId: secondId } = second.body as { userId: string };

    await app.stop();
    expect(cohorly.aliases()).toMatchObject([{ alias: firstId, distinctId: 'anon-first' }]);
    expect(cohorly.events({ event: 'Signed Up' }).map((e) => e.distinctId)).toEqual([
      firstId,
      secondId,
    ]);
  });

  it("serves an uptime monitor's visits but does not track them", async () => {
    const signup = await call(`${app.url}/signup`, { body: { email: 'ops@example.com' } });
    const { userId } = signup.body as { userId: string };
    const signedIn = { authorization: `Bearer ${userId}` };
    const monitored = await call(`${app.url}/products`, {
      headers: { ...signedIn, 'user-agent': 'Mozilla/5.0 (compatible; UptimeRobot/2.0)' },
    });
    expect(monitored).toMatchObject({ status: 200, body: expect.any(Array) });
    const visited = await call(`${app.url}/products`, {
      headers: { ...signedIn, 'user-agent': 'e2e-browser/1.0' },
    });
    expect(visited.status).toBe(200);

    await app.stop();
    // Everything tracked before the stop has been delivered: only the customer's view is there.
    expect(cohorly.events({ event: 'Products Viewed' })).toMatchObject([
      { distinctId: userId, properties: { $user_agent: 'e2e-browser/1.0' } },
    ]);
  });

  it('logs, and does not send, an event with no identity at all', async () => {
    const failed = await call(`${app.url}/login`, { body: { email: 'nobody@example.com' } });
    expect(failed.status).toBe(401);

    await app.waitForOutput(
      /\[cohorly\] track "Login Failed" was not sent: this request has no distinct id/,
    );
    await app.stop();
    expect(cohorly.events()).toEqual([]);
  });
});
