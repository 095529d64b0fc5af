import { startTestServer } from '@cohorly/testing';
import { describe, expect, it } from 'vitest';
import { call, oneItemCart, type RunningApp } from './app-process.js';
import { startAppFor, useCohorlyServer } from './cohorly-fixture.js';

/** The journey every test drives, reduced to what a customer sees. */
async function journey(app: RunningApp, email: string) {
  const seen: unknown[] = [];
  const signup = await call(`${app.url}/signup`, { body: { email } });
  const { userId } = signup.body as { userId: string };
  seen.push([signup.status, Object.keys(signup.body as object)]);
  const checkout = await call(`${app.url}/checkout`, {
    body: oneItemCart(5),
    headers: { authorization: `Bearer ${userId}` },
  });
  seen.push([checkout.status, (checkout.body as { total: number }).total]);
  seen.push([(await call(`${app.url}/healthz`)).status]);
  return { userId, seen };
}

const EXPECTED = [[201, ['userId']], [201, 10], [200]];

describe('a failing Cohorly server', () => {
  const cohorlyServer = useCohorlyServer();

  it('never changes the responses; events are delivered once it recovers', async () => {
    const cohorly = cohorlyServer();
    const app = await startAppFor(cohorly);
    // The first flush posts to /track and /engage: both fail, then the server recovers.
    const unavailable = { status: 503, headers: { 'Retry-After': '0' } };
    cohorly.faults.next('*', [unavailable, unavailable]);

    const first = await journey(app, 'ann@example.com');
    expect(first.seen).toEqual(EXPECTED);
    await app.waitForOutput(/\[cohorly\].*503[\s\S]*\[cohorly\].*503/);
    const second = await journey(app, 'bob@example.com');
    expect(second.seen).toEqual(EXPECTED);

    // The flushes after the recovery deliver what was kept, and the new events.
    const events = await cohorly.waitForEvents((e) => e.event === 'Checkout Completed', {
      count: 2,
      timeoutMs: 10_000,
    });
    expect(events.map((e) => e.distinctId).sort()).toEqual([first.userId, second.userId].sort());
    expect(await app.stop()).toEqual({ code: 0, signal: null });
    expect(cohorly.events({ event: 'Signed Up' })).toHaveLength(2);
    expect(cohorly.requests().filter((r) => r.status === 503)).toHaveLength(2);
    expect(app.output()).not.toContain('unhandledRejection');
  });

  it('never changes the responses when it cannot be reached, nor blocks shutdown', async () => {
    // A server that has stopped: its port refuses connections.
    const gone = await startTestServer();
    await gone.close();
    const app = await startAppFor(gone, { ANALYTICS_CLOSE_TIMEOUT_MS: '500' });

    const { seen } = await journey(app, 'ann@example.com');

    expect(seen).toEqual(EXPECTED);
    expect(await app.stop()).toEqual({ code: 0, signal: null });
    expect(app.output()).toMatch(/cohorly: 0 messages delivered, \d+ undelivered/);
    expect(app.output()).not.toContain('unhandledRejection');
  });
});
