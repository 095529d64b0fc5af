// 1000 concurrent requests by 1000 users: no event is ever attributed to another request's
// user, whether it is tracked through req.cohorly or getRequestCohorly(), after awaits of
// every kind, or from a continuation that runs after the response has closed.
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, EXPRESS_VERSIONS, type Harness } from '../test/harness.js';
import { getRequestCohorly } from './index.js';

const USERS = 1000;
const WAVE = 250;
const thisFile = fileURLToPath(import.meta.url);

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A short random wait: a chain of setImmediate, of microtasks, or real file-system I/O. */
async function pause(next: () => number): Promise<void> {
  const hops = 1 + Math.floor(next() * 3);
  const kind = Math.floor(next() * 3);
  for (let hop = 0; hop < hops; hop += 1) {
    if (kind === 0) await new Promise((resolve) => setImmediate(resolve));
    else if (kind === 1) await new Promise<void>((resolve) => queueMicrotask(resolve));
    else await stat(thisFile);
  }
}

describe.each(EXPRESS_VERSIONS)('1000 concurrent users on $name', ({ express }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.cleanup());

  it('attributes every event to its own request’s user, across awaits and after the response', async () => {
    const analytics = h.middleware({
      identify: (req) => req.get('x-user'),
      // Room for every event: this test is about attribution, not the queue cap.
      batching: { maxSize: 500, maxQueueSize: 10_000, flushIntervalMs: 0 },
    });
    const app = express();
    app.use(analytics);
    app.get('/work/:n', async (req, res) => {
      const owner = req.get('x-user');
      const next = random(Number(req.params.n));
      void req.cohorly.track('Step', { owner, step: 'start' });
      await pause(next);
      void getRequestCohorly()?.track('Step', { owner, step: 'after awaits' });
      await pause(next);
      // Started by the handler, finishing after the response has closed.
      void (async () => {
        if (!res.closed) await once(res, 'close');
        await pause(next);
        void getRequestCohorly()?.track('Step', { owner, step: 'after the response' });
      })();
      res.json({ owner });
    });
    const { url } = await h.serve(app);
    const users = Array.from({ length: USERS }, (_, n) => `user-${n}`);

    // In waves of 250 concurrent requests, so a loaded machine keeps up.
    for (let start = 0; start < USERS; start += WAVE) {
      const wave = users.slice(start, start + WAVE);
      const answers = await Promise.all(
        wave.map(async (user) => {
          const response = await fetch(`${url}/work/${user.slice(5)}`, {
            headers: { 'x-user': user },
          });
          return (await response.json()) as { owner: string };
        }),
      );
      expect(answers.map((answer) => answer.owner)).toEqual(wave);
    }

    const events = await h.cohorlyServer.waitForEvents(USERS * 3, { timeoutMs: 30_000 });
    const misattributed = events.filter((event) => event.properties.owner !== event.distinctId);
    expect(misattributed).toEqual([]);
    const steps = new Map<string, string[]>();
    for (const event of events) {
      const list = steps.get(event.distinctId) ?? [];
      list.push(String(event.properties.step));
      steps.set(event.distinctId, list);
    }
    expect(steps.size).toBe(USERS);
    for (const list of steps.values()) {
      expect(list.sort()).toEqual(['after awaits', 'after the response', 'start']);
    }
    // Nothing was dropped or failed (an overflow would have been reported here).
    expect(h.errors).toEqual([]);
  });
});
