// 1000 concurrent requests by 1000 users: no event is ever attributed to another request's
// user, whether it is tracked through req.cohorly or getRequestCohorly(), after awaits of
// every kind, or from a continuation that runs after the response has closed.
import { once } from 'node:events';
import { expectAttributedToOwnUser, randomPause, seededRandom } from '@cohorly/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, EXPRESS_VERSIONS, type Harness } from '../test/harness.js';
import { getRequestCohorly } from './index.js';

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
      const next = seededRandom(Number(req.params.n));
      void req.cohorly.track('Step', { owner, step: 'start' });
      await randomPause(next);
      void getRequestCohorly()?.track('Step', { owner, step: 'after awaits' });
      await randomPause(next);
      // Started by the handler, finishing after the response has closed.
      void (async () => {
        if (!res.closed) await once(res, 'close');
        await randomPause(next);
        void getRequestCohorly()?.track('Step', { owner, step: 'after the response' });
      })();
      res.json({ owner });
    });
    const { url } = await h.serve(app);

    await expectAttributedToOwnUser({
      url,
      server: h.cohorlyServer,
      steps: ['start', 'after awaits', 'after the response'],
    });
    // Nothing was dropped or failed (an overflow would have been reported here).
    expect(h.errors).toEqual([]);
  });
});
