// SIGTERM while Cohorly is down for longer than flushTimeoutMs (5 s by default): `next start`
// waits for its after() work, which gives up at flushTimeoutMs, and exits. The events are
// lost, and the app's onError hears of it as the process exits, once and truthfully, instead
// of being told they were "kept for the next flush".
import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { ensureBuilt, type RunningApp, startApp } from './next-app.js';

let server: TestServer;
let app: RunningApp;

beforeAll(async () => {
  server = await startTestServer();
  await ensureBuilt();
  app = await startApp({ COHORLY_TOKEN: 'outage-token', COHORLY_API_HOST: server.url });
});
afterAll(async () => {
  await app?.stop();
  await server?.close();
});

it('reports the events an outage at shutdown cost, as the process exits', async () => {
  // An outage longer than any shutdown: every delivery and its retries get 503.
  server.faults.failFor('/track', 600_000, { status: 503 });
  const response = await fetch(`${app.url}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: 'example_session_user=user-outage' },
    body: JSON.stringify({
      items: [
        { sku: 'book', price: 12 },
        { sku: 'pen', price: 3 },
      ],
    }),
  });
  // The visitor never notices.
  expect(response.status).toBe(200);
  const statuses = () =>
    server
      .requests()
      .filter((request) => request.path === '/track')
      .map((request) => request.status);
  await vi.waitFor(() => expect(statuses()).toEqual([503]), { timeout: 10_000, interval: 20 });

  app.child.kill('SIGTERM');
  // next start exits with 128 + 15 once its after() work is done: at flushTimeoutMs.
  expect(await app.exited).toBe(143);
  expect(server.events()).toEqual([]);
  const reported = app
    .output()
    .split('\n')
    .filter((line) => line.startsWith('[cohorly]'));
  // The delivery that gave up says the events are still queued; the exit says they are lost.
  expect(reported.slice(-2)).toEqual([
    '[cohorly] delivery did not finish within flushTimeoutMs (5000 ms); messages still queued: 3 (sent with the next flush, lost if the process exits first)',
    '[cohorly] 3 messages were not delivered before the process exited',
  ]);
  expect(reported.filter((line) => /before the process exited/.test(line))).toHaveLength(1);
  expect(app.output()).not.toMatch(/kept for the next flush|unhandledRejection/);
});
