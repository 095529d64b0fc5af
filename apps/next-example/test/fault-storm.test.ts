// The example app, built and run with `next start` as in production, against a Cohorly server
// that fails in every way in turn, then goes down and comes back on the same port. Visitors
// get the same answers throughout; every event of every successful request arrives exactly
// once (by $insert_id), except the batch the server rejects with 400, which is dropped and
// logged; SIGTERM lets the pending deliveries finish. The app runs on real time: each outage
// is short, and deliveries come from the app's own after() work, which waits out backoff
// windows within flushTimeoutMs. Exact backoff rules are covered in-process by
// @cohorly/next's tests. The storm itself is the one all example apps go through
// (describeFaultStorm); placing an order and the exit are ours.
import { describeFaultStorm } from '@cohorly/test-support';
import { expect } from 'vitest';
import { ensureBuilt, startApp } from './next-app.js';

describeFaultStorm({
  async startApp(server) {
    await ensureBuilt();
    return startApp({ COHORLY_TOKEN: 'storm-token', COHORLY_API_HOST: server.url });
  },
  killApp: async (app) => {
    await app?.stop();
  },
  /** Places an order as the signed-in `user`; the visitor sees the usual answer. */
  async act(app, user) {
    const response = await fetch(`${app.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `example_session_user=${user}` },
      body: JSON.stringify({ items: [{ sku: 'book', price: 12 }] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ total: 12 });
  },
  // What one order tracks: the order, and its one item.
  events: ['Order Placed', 'Item Purchased'],
  logPrefix: '\\[cohorly\\]',
  // Checks less often than the default: each beat is a whole order (two events, and an
  // after() delivery of its own).
  beatIntervalMs: 500,
  async sigterm(app) {
    app.child.kill('SIGTERM');
    // next start exits with 128 + 15 once its pending after() work is done.
    expect(await app.exited).toBe(143);
    expect(app.output()).not.toContain('over the server payload limit');
  },
});
