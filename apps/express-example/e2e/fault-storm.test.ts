// The built app, as production runs it, against a Cohorly server that fails in every way in
// turn, then goes down and comes back on the same port. Customers get the same answers
// throughout; every event of every successful request arrives exactly once (by $insert_id),
// except the batch the server rejects with 400, which is dropped and logged; SIGTERM delivers
// what is left and the process exits. The app runs on real time: each outage is short, and
// deliveries come from the app's own flushes (after each response, and on SIGTERM). Exact
// backoff rules are covered in-process by @cohorly/express's tests. The storm itself is the
// one all example apps go through (describeFaultStorm); the checkout and the exit are ours.
import { describeFaultStorm } from '@cohorly/test-support';
import { expect } from 'vitest';
import { call, killAllApps, oneItemCart } from './app-process.js';
import { startAppFor, TOKEN } from './cohorly-fixture.js';

describeFaultStorm({
  // Only the app's token is accepted: a wrong or missing token would show as no events.
  serverOptions: { tokens: [TOKEN] },
  startApp: (server) => startAppFor(server),
  killApp: () => killAllApps(),
  /** Checks out as `user`; the customer sees the usual answer. */
  async act(app, user) {
    const response = await call(`${app.url}/checkout`, {
      body: oneItemCart(5),
      headers: { authorization: `Bearer ${user}` },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ total: 10, items: 1 });
  },
  events: ['Checkout Completed'],
  logPrefix: '\\[cohorly\\]',
  waitForOutput: (app, pattern) => app.waitForOutput(pattern),
  async sigterm(app) {
    expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(app.output()).toMatch(/cohorly: \d+ messages delivered, 0 undelivered/);
  },
});
