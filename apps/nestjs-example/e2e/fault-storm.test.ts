// The built app, as production runs it, against a Cohorly server that fails in every way in
// turn, then goes down and comes back on the same port. Clients get the same answers
// throughout; every event of every successful request arrives exactly once (by $insert_id),
// except the batch the server rejects with 400, which is dropped and logged; SIGTERM (the
// shutdown hooks) delivers what is left and the process exits. The app runs on real time:
// each outage is short, and deliveries come from the app's own flushes (after each response,
// and on shutdown). Exact backoff rules are covered in-process by @cohorly/nestjs's tests. The
// storm itself is the one all example apps go through (describeFaultStorm); creating a
// project and the shutdown are ours.
import { describeFaultStorm } from '@cohorly/test-support';
import { expect } from 'vitest';
import { call, startExampleApp } from './example-app.js';

describeFaultStorm({
  async startApp(server) {
    const app = await startExampleApp({ COHORLY_TOKEN: 'T', COHORLY_API_HOST: server.url });
    try {
      // The app tracks its startup: that flush is over before the first fault is scripted.
      await server.waitForEvents({ event: 'Server Started' }, { timeoutMs: 10_000 });
    } catch (error) {
      // The storm never gets the app to kill: it is ours to stop.
      await app.stop('SIGKILL');
      throw error;
    }
    return app;
  },
  killApp: async (app) => {
    await app?.stop('SIGKILL');
  },
  /** Creates a project as `user`; the client sees the usual answer. */
  async act(app, user) {
    const response = await call(`${app.url}/projects`, { user, body: { name: 'storm' } });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ ownerId: user, name: 'storm' });
  },
  events: ['Project Created'],
  // The app tracks its own lifecycle ("Server Started") too.
  ignoreOtherEvents: true,
  logPrefix: 'Cohorly',
  async sigterm(app) {
    expect(await app.stop('SIGTERM')).toMatchObject({ killed: false, signal: 'SIGTERM' });
    expect(app.output()).not.toContain('could not be delivered');
  },
});
