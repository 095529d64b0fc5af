import { BufferedConsumer, Cohorly } from '@cohorly/core';
import { getWithHeaders } from '@cohorly/test-support';
import type { NextFunction, Request, Response } from 'express';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createHarness,
  EXPRESS_VERSIONS,
  type Harness,
  messagesOf,
  TOKEN,
} from '../test/harness.js';
import { cohorly, getRequestCohorly } from './index.js';

type AuthedRequest = Request & { user?: { id: string } };

/** A typical auth middleware: sets `req.user` from `Authorization: Bearer <user id>`. */
function bearerAuth(req: Request, _res: Response, next: NextFunction): void {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  (req as AuthedRequest).user = match ? { id: match[1]! } : undefined;
  next();
}

const identifyUser = (req: Request) => (req as AuthedRequest).user?.id;

describe('cohorly() configuration', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('throws at startup, saying how to provide a token, when there is none', () => {
    vi.stubEnv('COHORLY_TOKEN', '');
    expect(() => cohorly()).toThrow(
      'cohorly(): no Cohorly project token. Pass { token } (or { client }) in the options, or set the COHORLY_TOKEN environment variable.',
    );
  });

  it('rejects an unknown flush mode at startup', () => {
    expect(() => cohorly({ token: TOKEN, flush: 'sometimes' as never })).toThrow(
      /flush must be 'coalesced', 'on-close' or 'none'/,
    );
  });

  it('names the option, as written, of a configuration it cannot use', () => {
    const cases: [unknown, string][] = [
      [null, 'cohorly(): options must be an object, got null'],
      [
        { token: TOKEN, batching: { flushInterval: 1000 } },
        'cohorly(): batching.flushInterval is not an option; batching takes maxSize, maxQueueSize, flushIntervalMs',
      ],
      [
        { token: TOKEN, batching: { maxSize: '50' } },
        'cohorly(): batching.maxSize must be a number, got "50"',
      ],
      [
        { token: TOKEN, batching: 'fast' },
        'cohorly(): batching must be an object such as { maxSize: 100 }, got "fast"',
      ],
      [
        { token: TOKEN, apiHost: 'localhost:4000' },
        'cohorly(): apiHost must be an absolute http:// or https:// URL, got "localhost:4000"',
      ],
    ];
    for (const [options, message] of cases) {
      expect(() => cohorly(options as never)).toThrow(new TypeError(message));
    }
  });

  it('says at startup which options it does not know, and what was probably meant', async () => {
    const errors: unknown[] = [];
    // From plain JavaScript or a config file: TypeScript would refuse these keys.
    const analytics = cohorly({
      token: TOKEN,
      apihost: 'http://127.0.0.1:9',
      onError: (error: unknown) => errors.push(error),
      super_properties: () => ({ plan: 'pro' }),
      debug: true,
      // posthog-node's and Segment's names, from a config shared with them.
      host: 'http://127.0.0.1:9',
      disabled: true,
    } as never);
    expect(errors.map((error) => (error as Error).message)).toEqual([
      'cohorly(): apihost is not an option, and is ignored (did you mean apiHost?)',
      'cohorly(): super_properties is not an option, and is ignored (did you mean superProperties?)',
      'cohorly(): debug is not an option, and is ignored; the options are client, token, apiHost, batching, fetch, identify, anonymousId, capture, superProperties, ignore, flush, onError',
      'cohorly(): host is not an option, and is ignored (did you mean apiHost?)',
      "cohorly(): disabled is not an option, and is ignored (there is no off switch: in tests, pass { client: new Cohorly('test', { consumer: createRecorder() }) } with createRecorder() from @cohorly/testing)",
    ]);
    await analytics.close({ timeoutMs: 0 });
  });

  it('uses the client it is given, and exposes it', async () => {
    const client = new Cohorly(TOKEN, { apiHost: 'http://127.0.0.1:9' });
    const analytics = cohorly({ client });
    expect(analytics.client).toBe(client);
  });
});

describe.each(EXPRESS_VERSIONS)('cohorly() on $name', ({ express }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await h.cleanup();
  });

  it('reads COHORLY_TOKEN and COHORLY_API_HOST when no token or client is given', async () => {
    vi.stubEnv('COHORLY_TOKEN', 'env-token');
    vi.stubEnv('COHORLY_API_HOST', h.cohorlyServer.url);
    const analytics = cohorly({ anonymousId: false, flush: 'on-close' });
    const app = express();
    app.use(analytics);
    app.get('/', (req, res) => {
      void req.cohorly.track('Viewed', {}, { distinctId: 'u-env' });
      res.send('ok');
    });
    const { url } = await h.serve(app);
    try {
      await fetch(url);
      const [event] = await h.cohorlyServer.waitForEvents({ event: 'Viewed' });
      expect(event).toMatchObject({ token: 'env-token', distinctId: 'u-env' });
    } finally {
      await analytics.close({ timeoutMs: 1000 });
    }
  });

  it('resolves identify(req) when the event is tracked, so auth mounted after it counts', async () => {
    const app = express();
    app.use(h.middleware({ identify: identifyUser }));
    app.use(bearerAuth);
    app.post('/checkout', (req, res) => {
      void req.cohorly.track('Checkout Completed', { total: 42 });
      res.json({ ok: true });
    });
    const { url } = await h.serve(app);
    const before = Date.now();

    const response = await fetch(`${url}/checkout?email=ann@example.com`, {
      method: 'POST',
      headers: { authorization: 'Bearer user-1', 'user-agent': 'test-agent/1.0' },
    });

    expect(await response.json()).toEqual({ ok: true });
    const [event] = await h.cohorlyServer.waitForEvents({ event: 'Checkout Completed' });
    expect(event!.distinctId).toBe('user-1');
    expect(event!.properties).toMatchObject({ distinct_id: 'user-1', total: 42 });
    // Defaults: the path without its query string; no IP, no user agent.
    expect(event!.properties.$path).toBe('/checkout');
    expect(event!.properties).not.toHaveProperty('ip');
    expect(event!.properties).not.toHaveProperty('$user_agent');
    expect(event!.insertId).toMatch(/^[0-9a-f]{32}$/);
    const time = event!.properties.time as number;
    expect(Number.isInteger(time)).toBe(true);
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Date.now());
    expect(h.errors).toEqual([]);
  });

  it('falls back to the anonymous id from the header, then the cookie', async () => {
    const app = express();
    app.use(h.middleware({ identify: identifyUser }));
    app.use(bearerAuth);
    app.get('/', (req, res) => {
      void req.cohorly.track('Page Viewed', { from: String(req.query.from) });
      res.send('ok');
    });
    const { url } = await h.serve(app);

    await fetch(`${url}/?from=header`, { headers: { 'x-cohorly-anonymous-id': 'anon-h' } });
    await fetch(`${url}/?from=cookie`, { headers: { cookie: 'a=1; cohorly_anonymous_id=anon-c' } });
    await fetch(`${url}/?from=user`, {
      headers: { authorization: 'Bearer user-2', 'x-cohorly-anonymous-id': 'anon-x' },
    });

    const events = await h.cohorlyServer.waitForEvents(3);
    const byOrigin = Object.fromEntries(events.map((e) => [e.properties.from, e.distinctId]));
    expect(byOrigin).toEqual({ header: 'anon-h', cookie: 'anon-c', user: 'user-2' });
  });

  it('reads the first anonymous id of a header sent twice, not a third user made of both', async () => {
    const defaults = express();
    defaults.use(h.middleware());
    const configured = express();
    configured.use(h.middleware({ anonymousId: { header: 'X-Visitor' } }));
    for (const app of [defaults, configured]) {
      app.get('/', (req, res) => {
        void req.cohorly.track('Page Viewed', {
          app: app === defaults ? 'defaults' : 'configured',
        });
        res.send('ok');
      });
    }

    // Node joins each pair into one value in req.headers: "anon-a, anon-b".
    const sent: [typeof defaults, Record<string, string[]>][] = [
      [defaults, { 'x-cohorly-anonymous-id': ['anon-a', 'anon-b'] }],
      [configured, { 'x-visitor': ['v-1', 'v-2'] }],
    ];
    for (const [app, headers] of sent) {
      expect(await getWithHeaders((await h.serve(app)).url, headers)).toBe(200);
    }

    const events = await h.cohorlyServer.waitForEvents(2);
    const byApp = Object.fromEntries(events.map((e) => [e.properties.app, e.distinctId]));
    expect(byApp).toEqual({ defaults: 'anon-a', configured: 'v-1' });
    expect(h.errors).toEqual([]);
  });

  it('reads the first non-empty anonymous id of a repeated header or a duplicated cookie', async () => {
    const app = express();
    app.use(h.middleware());
    app.get('/', (req, res) => {
      void req.cohorly.track('Page Viewed', { from: String(req.query.from) });
      res.send('ok');
    });
    const { url } = await h.serve(app);

    // An empty first header; a cookie cleared at one path before the one set at another.
    const sent: [string, Record<string, string | string[]>][] = [
      ['header', { 'x-cohorly-anonymous-id': ['', 'anon-b'] }],
      ['cookie', { cookie: 'cohorly_anonymous_id=; a=1; cohorly_anonymous_id=anon-second' }],
    ];
    for (const [from, headers] of sent) {
      expect(await getWithHeaders(`${url}/?from=${from}`, headers)).toBe(200);
    }

    const events = await h.cohorlyServer.waitForEvents(2);
    const byOrigin = Object.fromEntries(events.map((e) => [e.properties.from, e.distinctId]));
    expect(byOrigin).toEqual({ header: 'anon-b', cookie: 'anon-second' });
    expect(h.errors).toEqual([]);
  });

  it('finds the anonymous-id cookie among a thousand undecodable ones, at every track()', async () => {
    const app = express();
    app.use(h.middleware());
    app.get('/', (req, res) => {
      for (let step = 0; step < 3; step += 1) void req.cohorly.track('Step', { step });
      res.send('ok');
    });
    const { url } = await h.serve(app);
    // About 15 KB, under Node's 16 KB header limit: each value is no valid percent-encoding.
    const hostile = Array.from({ length: 1_000 }, (_, i) => `c${i}=%E0%A4%A`).join('; ');

    const cookie = `${hostile}; cohorly_anonymous_id=anon%2Dc; after=%E0%A4%A`;
    expect(await getWithHeaders(url, { cookie })).toBe(200);

    const events = await h.cohorlyServer.waitForEvents(3);
    expect(events.map((e) => [e.properties.step, e.distinctId]).sort()).toEqual([
      [0, 'anon-c'],
      [1, 'anon-c'],
      [2, 'anon-c'],
    ]);
    expect(h.errors).toEqual([]);
  });

  it('reads the anonymous id from the header and cookie it is told to', async () => {
    const app = express();
    app.use(h.middleware({ anonymousId: { header: 'X-Visitor', cookie: 'vid' } }));
    app.get('/', (req, res) => {
      void req.cohorly.track('Page Viewed', { from: String(req.query.from) });
      res.send('ok');
    });
    const { url } = await h.serve(app);

    await fetch(`${url}/?from=header`, { headers: { 'x-visitor': 'v-h' } });
    await fetch(`${url}/?from=cookie`, { headers: { cookie: 'vid=v-c' } });

    const events = await h.cohorlyServer.waitForEvents(2);
    const byOrigin = Object.fromEntries(events.map((e) => [e.properties.from, e.distinctId]));
    expect(byOrigin).toEqual({ header: 'v-h', cookie: 'v-c' });
  });

  it('does not send an event with no identity, says why in onError, and answers as usual', async () => {
    const app = express();
    app.use(h.middleware({ identify: identifyUser, anonymousId: false }));
    app.use(bearerAuth);
    app.get('/', (req, res) => {
      void req.cohorly.track('Nobody');
      // An explicit distinct id always works.
      void req.cohorly.track('Somebody', {}, { distinctId: 'explicit-1' });
      res.send('fine');
    });
    const { url } = await h.serve(app);

    const response = await fetch(url, { headers: { 'x-cohorly-anonymous-id': 'ignored' } });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('fine');
    const events = await h.cohorlyServer.waitForEvents({ event: 'Somebody' });
    expect(events[0]!.distinctId).toBe('explicit-1');
    expect(h.cohorlyServer.events().map((e) => e.event)).toEqual(['Somebody']);
    expect(messagesOf(h.errors)).toEqual([
      'track "Nobody" was not sent: this request has no distinct id (pass { distinctId }, configure identify(req), or send an anonymous id)',
    ]);
  });

  it('gives req.cohorly identify, alias and the people operations for the request user', async () => {
    const analytics = h.middleware();
    const app = express();
    app.use(express.json());
    app.use(analytics);
    app.post('/signup', async (req, res) => {
      const userId = `user-${req.body.email}`;
      // Link the anonymous visitor to the new account, then act as the account.
      await req.cohorly.alias(userId);
      req.cohorly.identify(userId);
      await req.cohorly.track('Signed Up', { plan: 'pro' });
      await req.cohorly.peopleSet({ $email: req.body.email, plan: 'pro' });
      await req.cohorly.peopleSetOnce({ first_seen: 'signup' });
      await req.cohorly.peopleIncrement({ logins: 2 });
      await req.cohorly.peopleUnset(['trial']);
      res.status(201).json({ userId, distinctId: req.cohorly.distinctId });
    });
    app.post('/delete', async (req, res) => {
      await req.cohorly.peopleDelete({ distinctId: req.body.userId });
      res.sendStatus(204);
    });
    const { url } = await h.serve(app);

    const response = await fetch(`${url}/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-cohorly-anonymous-id': 'anon-9' },
      body: JSON.stringify({ email: 'ann@example.com' }),
    });

    expect(await response.json()).toEqual({
      userId: 'user-ann@example.com',
      distinctId: 'user-ann@example.com',
    });
    const [event] = await h.cohorlyServer.waitForEvents({ event: 'Signed Up' });
    expect(event!.distinctId).toBe('user-ann@example.com');
    // Resolves once a flush that started after this call has finished.
    await analytics.flush();
    expect(h.cohorlyServer.aliases()).toMatchObject([
      { alias: 'user-ann@example.com', distinctId: 'anon-9' },
    ]);
    expect(h.cohorlyServer.profiles()).toMatchObject([
      {
        distinctId: 'user-ann@example.com',
        properties: { $email: 'ann@example.com', plan: 'pro', first_seen: 'signup', logins: 2 },
      },
    ]);

    await fetch(`${url}/delete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'user-ann@example.com' }),
    });
    await analytics.flush();
    expect(h.cohorlyServer.profiles()).toEqual([]);
    expect(h.errors).toEqual([]);
  });

  it('merges superProperties into every event, under the event properties', async () => {
    const app = express();
    app.use(
      h.middleware({
        superProperties: (req) => ({ tenant: req.headers['x-tenant'] as string, plan: 'free' }),
      }),
    );
    app.get('/', (req, res) => {
      void req.cohorly.track('A', {}, { distinctId: 'u' });
      void req.cohorly.track('B', { plan: 'pro' }, { distinctId: 'u' });
      res.send('ok');
    });
    const { url } = await h.serve(app);

    await fetch(url, { headers: { 'x-tenant': 'acme' } });

    const events = await h.cohorlyServer.waitForEvents(2);
    expect(events.map((e) => [e.event, e.properties.tenant, e.properties.plan])).toEqual([
      ['A', 'acme', 'free'],
      ['B', 'acme', 'pro'],
    ]);
  });

  it("captures the IP as Express resolves it, honouring 'trust proxy'", async () => {
    const captureAll = { ip: true, userAgent: true, query: true } as const;
    const trusting = express();
    trusting.set('trust proxy', 'loopback');
    trusting.use(h.middleware({ capture: captureAll }));
    const plain = express();
    plain.use(h.middleware({ capture: captureAll }));
    for (const app of [trusting, plain]) {
      app.get('/search', (req, res) => {
        void req.cohorly.track(
          'Searched',
          { app: app === trusting ? 'trusting' : 'plain' },
          {
            distinctId: 'u',
          },
        );
        res.send('ok');
      });
    }
    const headers = { 'x-forwarded-for': '203.0.113.7', 'user-agent': 'test-agent/1.0' };

    await fetch(`${(await h.serve(trusting)).url}/search?q=shoes`, { headers });
    await fetch(`${(await h.serve(plain)).url}/search?q=shoes`, { headers });

    const events = await h.cohorlyServer.waitForEvents(2);
    const byApp = Object.fromEntries(events.map((e) => [e.properties.app, e.properties]));
    expect(byApp.trusting).toMatchObject({
      ip: '203.0.113.7',
      $user_agent: 'test-agent/1.0',
      $path: '/search?q=shoes',
    });
    // Without a trusted proxy, X-Forwarded-For is anyone's to forge: the socket's address.
    expect(byApp.plain!.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });

  it('sends the full path of a mounted router, and no path when capture.path is false', async () => {
    const router = express.Router();
    router.post('/orders/:id', (req, res) => {
      void req.cohorly.track('Order Updated', {}, { distinctId: 'u' });
      res.send('ok');
    });
    const app = express();
    app.use(h.middleware());
    app.use('/api', router);
    const noPath = express();
    noPath.use(h.middleware({ capture: { path: false } }));
    noPath.get('/', (req, res) => {
      void req.cohorly.track('No Path', {}, { distinctId: 'u' });
      res.send('ok');
    });

    await fetch(`${(await h.serve(app)).url}/api/orders/7?token=secret`, { method: 'POST' });
    await fetch((await h.serve(noPath)).url);

    const [updated] = await h.cohorlyServer.waitForEvents({ event: 'Order Updated' });
    expect(updated!.properties.$path).toBe('/api/orders/7');
    const [bare] = await h.cohorlyServer.waitForEvents({ event: 'No Path' });
    expect(bare!.properties).not.toHaveProperty('$path');
  });

  it('leaves ignored requests alone: what they track is dropped without a word', async () => {
    const app = express();
    app.use(h.middleware({ ignore: (req) => req.path === '/healthz' }));
    // Middleware that tracks every request needs no special case for ignored ones.
    app.use((req, _res, next) => {
      void req.cohorly.track('API Called', { path: req.path }, { distinctId: 'u' });
      next();
    });
    app.get('/healthz', (_req, res) => {
      res.send('healthy');
    });
    app.get('/work', (_req, res) => {
      res.send('done');
    });
    const { url } = await h.serve(app);

    expect(await (await fetch(`${url}/healthz`)).text()).toBe('healthy');
    expect(await (await fetch(`${url}/work`)).text()).toBe('done');

    await h.cohorlyServer.waitForEvents({ event: 'API Called', properties: { path: '/work' } });
    expect(h.cohorlyServer.events().map((e) => e.properties.path)).toEqual(['/work']);
    expect(h.errors).toEqual([]);
  });

  it('tracks every request of an async ignore(), and says once that it must be synchronous', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const app = express();
      // A Promise is truthy: taken as an answer, every request would be ignored, and nothing
      // ever sent or reported.
      app.use(h.middleware({ ignore: (async (req: Request) => req.path === '/healthz') as never }));
      const rejecting = express();
      rejecting.use(
        h.middleware({
          ignore: (async () => {
            throw new Error('ignore list unavailable');
          }) as never,
        }),
      );
      for (const each of [app, rejecting]) {
        each.get('/work', (req, res) => {
          void req.cohorly.track('Worked', { app: each === app ? 'async' : 'rejecting' });
          res.send('done');
        });
      }
      const { url } = await h.serve(app);
      const { url: rejectingUrl } = await h.serve(rejecting);

      for (const base of [url, url, rejectingUrl, rejectingUrl]) {
        const response = await fetch(`${base}/work`, {
          headers: { 'x-cohorly-anonymous-id': 'v' },
        });
        expect(await response.text()).toBe('done');
      }

      const events = await h.cohorlyServer.waitForEvents(4);
      expect(events.map((e) => e.properties.app).sort()).toEqual([
        'async',
        'async',
        'rejecting',
        'rejecting',
      ]);
      const message =
        'cohorly(): ignore(req) returned a Promise: it must return synchronously (true to leave the request alone); every request is tracked instead; said once';
      expect(messagesOf(h.errors)).toEqual([message, message]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('names the event and identify(req) when identify(req) throws', async () => {
    const app = express();
    // The quickstart's identify without its `?.`, on a request with no user.
    const analytics = h.middleware({
      identify: (req) => (req as Required<AuthedRequest>).user.id,
    });
    app.use(analytics);
    app.get('/', (req, res) => {
      void req.cohorly.track('Product Viewed', { sku: 'tea' });
      // Tracked for an explicit user, so identify(req) is not asked: it arrives.
      void req.cohorly.track('Stock Checked', { sku: 'tea' }, { distinctId: 'warehouse' });
      res.send('ok');
    });
    const { url } = await h.serve(app);

    const response = await fetch(url, { headers: { 'x-cohorly-anonymous-id': 'visitor-1' } });

    expect(await response.text()).toBe('ok');
    expect(messagesOf(h.errors)).toEqual([
      expect.stringMatching(
        /^track "Product Viewed" was not sent: identify\(req\) threw: Cannot read properties of undefined/,
      ),
    ]);
    await analytics.flush();
    expect(h.cohorlyServer.events().map((e) => e.event)).toEqual(['Stock Checked']);
  });

  it("reports a batch the server rejects from your own client to its consumer's onError only", async () => {
    const consumerErrors: unknown[] = [];
    const client = new Cohorly(TOKEN, {
      consumer: new BufferedConsumer({
        apiHost: h.cohorlyServer.url,
        onError: (error) => consumerErrors.push(error),
      }),
    });
    const analytics = h.middleware({ client });
    const app = express();
    app.use(analytics);
    app.get('/', (req, res) => {
      void req.cohorly.track('Rejected', {}, { distinctId: 'u' });
      res.send('ok');
    });
    const { url } = await h.serve(app);
    h.cohorlyServer.faults.next('/track', { status: 400, body: { error: 'bad batch' } });

    expect((await fetch(url)).status).toBe(200);
    // Tracked, so the coalesced flush is armed: wait for its answer, then for one more flush.
    await vi.waitUntil(() => consumerErrors.length > 0, { timeout: 5000 });
    await analytics.flush();

    expect(messagesOf(consumerErrors)).toEqual([expect.stringContaining('400')]);
    // Reported there "instead", as the README says: not a second time to cohorly()'s onError.
    expect(h.errors).toEqual([]);
  });

  it('reports a delivery a full batch started outside the request that filled it', async () => {
    // A request-scoped logger in onError must not blame an analytics outage on a customer's
    // request that happened to fill the batch (and that request must not be kept in memory
    // for as long as the delivery takes).
    h.cohorlyServer.faults.next('/track', [{ status: 503 }]);
    const seenInOnError: unknown[] = [];
    const analytics = cohorly({
      token: TOKEN,
      apiHost: h.cohorlyServer.url,
      batching: { maxSize: 2, flushIntervalMs: 0 },
      flush: 'none',
      onError: (error) => seenInOnError.push([String(error), getRequestCohorly()]),
    });
    const app = express();
    app.use(analytics);
    app.get('/', (req, res) => {
      void req.cohorly.track('A', {}, { distinctId: 'u' });
      void req.cohorly.track('B', {}, { distinctId: 'u' });
      res.send('ok');
    });
    const { url } = await h.serve(app);

    expect(await (await fetch(url)).text()).toBe('ok');
    await vi.waitFor(() => expect(seenInOnError).toHaveLength(1));
    expect(seenInOnError).toEqual([[expect.stringContaining('status 503'), undefined]]);
    await analytics.close({ timeoutMs: 0 });
  });

  it('reports an ignore() that throws and treats the request as not ignored', async () => {
    const app = express();
    app.use(
      h.middleware({
        ignore: () => {
          throw new Error('ignore broke');
        },
      }),
    );
    app.get('/', (req, res) => {
      void req.cohorly.track('Tracked', {}, { distinctId: 'u' });
      res.send('ok');
    });
    const { url } = await h.serve(app);

    expect((await fetch(url)).status).toBe(200);

    await h.cohorlyServer.waitForEvents({ event: 'Tracked' });
    expect(messagesOf(h.errors)).toEqual([
      'ignore(req) threw: ignore broke; the request is tracked',
    ]);
  });

  it('answers as usual when a callback throws a value that cannot be shown as text', async () => {
    // An object with no prototype: String() throws on it, and building the message for
    // onError once turned into a 500 for the request.
    const unprintable = () => {
      throw Object.create(null);
    };
    const app = express();
    app.use(h.middleware({ ignore: unprintable, identify: unprintable }));
    app.get('/', (req, res) => {
      void req.cohorly.track('Viewed');
      void req.cohorly.track('Tracked', {}, { distinctId: 'u' });
      res.send('ok');
    });
    const { url } = await h.serve(app);

    const response = await fetch(url);

    expect([response.status, await response.text()]).toEqual([200, 'ok']);
    await h.cohorlyServer.waitForEvents({ event: 'Tracked' });
    expect(messagesOf(h.errors)).toEqual([
      'ignore(req) threw: a value that cannot be shown as text was thrown; the request is tracked',
      'track "Viewed" was not sent: identify(req) threw: a value that cannot be shown as text was thrown',
    ]);
  });
});
