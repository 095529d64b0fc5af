import { once } from 'node:events';
import { createNodeFetch } from '@cohorly/server-kit/node';
import { gatedFetch } from '@cohorly/test-support';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createHarness,
  EXPRESS_VERSIONS,
  type Harness,
  messagesOf,
  TOKEN,
  trackBatches,
} from '../test/harness.js';
import { cohorly } from './index.js';

// Delivery must come from the response closing, never from the client's background timer.
const NO_TIMER = { flushIntervalMs: 0 } as const;

describe.each(EXPRESS_VERSIONS)('delivery on $name', ({ express }) => {
  let h: Harness;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeEach(async () => {
    h = await createHarness();
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await h.cleanup();
    // Let rejections of the last turn surface before the listener goes.
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  it('flushes the events of a request soon after it tracked them, with no timer in the client', async () => {
    const app = express();
    app.use(h.middleware({ batching: NO_TIMER }));
    app.get('/', (req, res) => {
      void req.cohorly.track('Viewed', {}, { distinctId: 'u' });
      res.send('ok');
    });
    const { url } = await h.serve(app);

    await fetch(url);

    const events = await h.cohorlyServer.waitForEvents({ event: 'Viewed' });
    expect(events).toHaveLength(1);
  });

  it('shares batches between requests that track together: one flush in flight at a time', async () => {
    const gated = gatedFetch(createNodeFetch());
    const app = express();
    app.use(h.middleware({ batching: NO_TIMER, fetch: gated.fetch }));
    app.get('/:n', (req, res) => {
      void req.cohorly.track(
        'Hit',
        { n: Number(req.params.n) },
        { distinctId: `u-${req.params.n}` },
      );
      res.send('ok');
    });
    const { url } = await h.serve(app);

    // The first flush is held in flight while 20 more requests finish: they must wait for
    // it, then go out together.
    await fetch(`${url}/0`);
    await vi.waitUntil(() => gated.requests() === 1);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => fetch(`${url}/${i + 1}`).then((r) => r.text())),
    );
    // Every response is out, and still no second flush was started.
    expect(responses).toEqual(Array(20).fill('ok'));
    expect(gated.requests()).toBe(1);
    expect(h.cohorlyServer.requests()).toEqual([]);
    gated.release();

    const events = await h.cohorlyServer.waitForEvents(21);
    expect(new Set(events.map((e) => e.properties.n)).size).toBe(21);
    for (const event of events) expect(event.distinctId).toBe(`u-${event.properties.n}`);
    expect(trackBatches(h.cohorlyServer).map((batch) => batch.length)).toEqual([1, 20]);
  });

  it('delivers the events of a request the client aborted, and those tracked after it', async () => {
    const app = express();
    app.use(h.middleware({ batching: NO_TIMER }));
    app.get('/export', async (req, res) => {
      void req.cohorly.track('Export Started', {}, { distinctId: 'u' });
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('id\n');
      // Still working when the client gives up.
      await once(res, 'close');
      void req.cohorly.track(
        'Export Aborted',
        { finished: res.writableFinished },
        {
          distinctId: 'u',
        },
      );
    });
    const { url } = await h.serve(app);
    const abort = new AbortController();

    const response = await fetch(`${url}/export`, { signal: abort.signal });
    const reader = response.body!.getReader();
    await reader.read();
    abort.abort();

    const events = await h.cohorlyServer.waitForEvents(2);
    expect(events.map((e) => [e.event, e.properties.finished])).toEqual([
      ['Export Started', undefined],
      ['Export Aborted', false],
    ]);
  });

  it("flush: 'on-close' delivers each request's events when it closes", async () => {
    const app = express();
    app.use(h.middleware({ flush: 'on-close', batching: NO_TIMER }));
    app.get('/', (req, res) => {
      void req.cohorly.track('Viewed', {}, { distinctId: 'u' });
      res.send('ok');
    });
    const { url } = await h.serve(app);

    await fetch(url);
    await fetch(url);

    expect(await h.cohorlyServer.waitForEvents(2)).toHaveLength(2);
  });

  it("flush: 'none' leaves delivery to the client's batching", async () => {
    const app = express();
    app.use(h.middleware({ flush: 'none', batching: { ...NO_TIMER, maxSize: 2 } }));
    app.get('/:n', (req, res) => {
      void req.cohorly.track('Hit', { n: req.params.n }, { distinctId: 'u' });
      res.send('ok');
    });
    const { url } = await h.serve(app);

    await fetch(`${url}/1`);
    await fetch(`${url}/2`);

    await h.cohorlyServer.waitForEvents(2);
    // The first event waited for the batch to fill: no flush when its response closed.
    expect(trackBatches(h.cohorlyServer).map((batch) => batch.length)).toEqual([2]);
  });

  it('delivers everything on shutdown: server.close(), then await analytics.close()', async () => {
    const analytics = h.middleware({ flush: 'none', batching: NO_TIMER });
    const app = express();
    app.use(analytics);
    app.get('/:n', (req, res) => {
      void req.cohorly.track('Hit', { n: req.params.n }, { distinctId: 'u' });
      res.send('ok');
    });
    const served = await h.serve(app);
    for (let n = 1; n <= 5; n++) await fetch(`${served.url}/${n}`);
    expect(h.cohorlyServer.events()).toEqual([]);

    await served.close();
    const report = await analytics.close({ timeoutMs: 5000 });

    expect(report).toMatchObject({ drained: true, sent: 5, undelivered: 0 });
    expect(h.cohorlyServer.events().map((e) => e.properties.n)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('answers as usual while the Cohorly server fails, and delivers once it recovers', async () => {
    const analytics = h.middleware({ batching: NO_TIMER });
    const app = express();
    app.use(analytics);
    app.get('/:n', (req, res) => {
      void req.cohorly.track('Hit', { n: req.params.n }, { distinctId: 'u' });
      res.json({ n: req.params.n });
    });
    const { url } = await h.serve(app);
    h.cohorlyServer.faults.next('/track', [
      { status: 503, headers: { 'Retry-After': '0' } },
      { status: 503, headers: { 'Retry-After': '0' } },
    ]);

    const first = await fetch(`${url}/1`);
    await analytics.flush();
    const second = await fetch(`${url}/2`);
    await analytics.flush();
    const third = await fetch(`${url}/3`);
    await analytics.flush();

    expect([first.status, second.status, third.status]).toEqual([200, 200, 200]);
    expect(await Promise.all([first.json(), second.json(), third.json()])).toEqual([
      { n: '1' },
      { n: '2' },
      { n: '3' },
    ]);
    expect(h.cohorlyServer.events().map((e) => e.properties.n)).toEqual(['1', '2', '3']);
    // Each explicit flush met the failing server (a coalesced one may have added a try).
    const statuses = h.cohorlyServer.requests().map((r) => r.status);
    expect(statuses.slice(0, 2)).toEqual([503, 503]);
    expect(statuses.slice(2).every((status) => status === 200)).toBe(true);
    expect(messagesOf(h.errors).filter((m) => m.includes('503'))).toHaveLength(2);
  });

  it('answers as usual when the Cohorly server cannot be reached', async () => {
    const analytics = h.middleware({ apiHost: 'http://127.0.0.1:1', batching: NO_TIMER });
    const app = express();
    app.use(analytics);
    app.get('/', async (req, res) => {
      await req.cohorly.track('Viewed', {}, { distinctId: 'u' });
      res.send('still fine');
    });
    const { url } = await h.serve(app);

    const response = await fetch(url);
    await analytics.flush();

    expect(await response.text()).toBe('still fine');
    expect(h.errors.length).toBeGreaterThan(0);
    // No deadline: the failed delivery's backoff window outlasts it anyway.
    const report = await analytics.close({ timeoutMs: 0 });
    expect(report).toMatchObject({ drained: false, undelivered: 1 });
  });

  it('keeps bad input and a throwing onError away from the response', async () => {
    const app = express();
    app.use(
      h.middleware({
        onError: () => {
          throw new Error('the error handler broke too');
        },
      }),
    );
    app.get('/', async (req, res) => {
      await req.cohorly.track('Bad', { big: 10n as never }, { distinctId: 'u' });
      await req.cohorly.track('Anonymous');
      await req.cohorly.track('Good', {}, { distinctId: 'u' });
      res.send('ok');
    });
    const { url } = await h.serve(app);

    const response = await fetch(url);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    const events = await h.cohorlyServer.waitForEvents({ event: 'Good' });
    expect(events).toHaveLength(1);
    expect(h.cohorlyServer.events().map((e) => e.event)).toEqual(['Good']);
  });

  it('warns in one console line by default', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const analytics = cohorly({ token: TOKEN, apiHost: h.cohorlyServer.url, anonymousId: false });
    const app = express();
    app.use(analytics);
    app.get('/', (req, res) => {
      void req.cohorly.track('Anonymous');
      res.send('ok');
    });
    const { url } = await h.serve(app);

    try {
      expect((await fetch(url)).status).toBe(200);
    } finally {
      await analytics.close({ timeoutMs: 1000 });
    }

    expect(warn).toHaveBeenCalledTimes(1);
    const [line] = warn.mock.calls[0] as [string];
    expect(line).toMatch(
      /^\[cohorly\] track "Anonymous" was not sent: this request has no distinct id/,
    );
    expect(line).not.toContain('\n');
  });
});
