// 1000 concurrent visitors of the production build: no event is ever attributed to another
// request's visitor, neither after the awaits between a route handler's events nor from the
// after() callback that runs once the response has been sent.
import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt, type RunningApp, startApp } from './next-app.js';

const VISITORS = 1000;
const WAVE = 100;
const STEPS = ['Activity Continued', 'Activity Finished', 'Activity Started'];

let server: TestServer;
let app: RunningApp;

beforeAll(async () => {
  server = await startTestServer();
  await ensureBuilt();
  app = await startApp({ COHORLY_TOKEN: 'isolation-token', COHORLY_API_HOST: server.url });
});
afterAll(async () => {
  await app?.stop();
  await server?.close();
});

it('attributes every event to its own request’s visitor, across awaits and after the response', async () => {
  const visitors = Array.from({ length: VISITORS }, (_, n) => `visitor-${n}`);

  // In waves of 100 concurrent requests, so a loaded machine keeps up.
  for (let start = 0; start < VISITORS; start += WAVE) {
    const wave = visitors.slice(start, start + WAVE);
    const answers = await Promise.all(
      wave.map(async (visitor) => {
        const response = await fetch(`${app.url}/api/activity`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            cookie: `example_session_user=${visitor}`,
          },
          // The handler copies `ref` into every event: it must match the event's visitor.
          body: JSON.stringify({ ref: visitor }),
        });
        return (await response.json()) as { ref: string };
      }),
    );
    expect(answers.map((answer) => answer.ref)).toEqual(wave);
  }

  const events = await server.waitForEvents(VISITORS * STEPS.length, { timeoutMs: 60_000 });
  const misattributed = events.filter((event) => event.properties.ref !== event.distinctId);
  expect(misattributed).toEqual([]);
  const steps = new Map<string, string[]>();
  for (const event of events) {
    const list = steps.get(event.distinctId) ?? [];
    list.push(event.event);
    steps.set(event.distinctId, list);
  }
  expect(steps.size).toBe(VISITORS);
  for (const list of steps.values()) expect(list.sort()).toEqual(STEPS);
  // Nothing was dropped (an overflow is logged), and nothing crashed.
  expect(app.output()).not.toMatch(/buffer is full|unhandledRejection/);
});
