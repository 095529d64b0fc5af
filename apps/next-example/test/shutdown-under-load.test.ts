// SIGTERM while `next start` serves traffic: every event of every request that succeeded,
// including the one its after() callback tracks, is delivered exactly once before it exits.
import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt, type RunningApp, startApp } from './next-app.js';

const IN_FLIGHT = 50;
const STEPS = ['Activity Continued', 'Activity Finished', 'Activity Started'];

interface SentEvent {
  event: string;
  properties: { distinct_id: string; $insert_id: string };
}

let server: TestServer;
let app: RunningApp;

beforeAll(async () => {
  server = await startTestServer();
  await ensureBuilt();
  app = await startApp({ COHORLY_TOKEN: 'shutdown-token', COHORLY_API_HOST: server.url });
});
afterAll(async () => {
  await app?.stop();
  await server?.close();
});

it('delivers every event of every request that succeeded, once, and exits', async () => {
  const visitors = Array.from({ length: IN_FLIGHT }, (_, i) => `busy-${i}`);
  const requests = visitors.map(async (visitor) => {
    const response = await fetch(`${app.url}/api/activity`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `example_session_user=${visitor}` },
      body: JSON.stringify({ ref: visitor }),
    }).catch(() => undefined);
    return response?.status === 200 ? visitor : undefined;
  });
  // The signal comes with the first answer, the other requests still in flight.
  await Promise.race(requests);

  app.child.kill('SIGTERM');
  // next start exits with 128 + 15 once its pending after() work is done.
  expect(await app.exited).toBe(143);
  const succeeded = (await Promise.all(requests)).filter((visitor) => visitor !== undefined);

  expect(succeeded.length).toBeGreaterThan(0);
  const accepted = server
    .requests()
    .filter((request) => request.path === '/track' && request.status === 200)
    .flatMap((request) => request.json as SentEvent[]);
  const ids = accepted.map((event) => event.properties.$insert_id);
  expect(ids.length).toBe(new Set(ids).size);
  const delivered = new Set(accepted.map((e) => `${e.properties.distinct_id} / ${e.event}`));
  // Every request that succeeded has all its events; one cut off by the shutdown may have
  // tracked some too, but nothing else was.
  const missing = succeeded.flatMap((visitor) =>
    STEPS.map((step) => `${visitor} / ${step}`).filter((k) => !delivered.has(k)),
  );
  expect(missing).toEqual([]);
  const strangers = accepted.filter((e) => !visitors.includes(e.properties.distinct_id));
  expect(strangers).toEqual([]);
  expect(app.output()).not.toContain('unhandledRejection');
});
