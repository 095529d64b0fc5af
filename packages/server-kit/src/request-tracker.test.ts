import { BufferedConsumer, Cohorly, Consumer } from '@cohorly/core';
import { createRecorder, startTestServer } from '@cohorly/testing';
import { describe, expect, it, vi } from 'vitest';
import { type PlainRequest, plainAccessor, plainRequest } from '../test/plain-request.js';
import type { IntegrationOptions } from './integration.js';
import { RequestTracker } from './request-tracker.js';

const TOKEN = 'test-token';

function setup(
  req: PlainRequest,
  options: IntegrationOptions<PlainRequest> = {},
  client?: Cohorly,
) {
  const recorder = createRecorder();
  const errors: unknown[] = [];
  const onTracked = vi.fn();
  const tracker = new RequestTracker({
    req,
    client: client ?? new Cohorly(TOKEN, { consumer: recorder }),
    accessor: plainAccessor,
    options: options as IntegrationOptions<unknown>,
    onError: (error) => errors.push(error),
    onTracked,
  });
  const messages = () => errors.map((e) => (e instanceof Error ? e.message : String(e)));
  return { tracker, recorder, errors, messages, onTracked };
}

const signedIn = () =>
  plainRequest({ user: 'user-1', url: '/checkout?coupon=X', headers: { 'x-tenant': 'acme' } });
const identify = (req: PlainRequest) => req.user;

describe('RequestTracker', () => {
  it("tracks for the request's user with the request's properties under the event's", async () => {
    const { tracker, recorder, onTracked } = setup(signedIn(), {
      identify,
      superProperties: (req) => ({ tenant: req.headers['x-tenant'], plan: 'free' }),
    });

    await tracker.track('Checkout Completed', { plan: 'pro', total: 9 });

    const event = recorder.expectEvent('Checkout Completed');
    expect(event.distinctId).toBe('user-1');
    expect(event.properties).toMatchObject({
      $path: '/checkout',
      tenant: 'acme',
      plan: 'pro',
      total: 9,
    });
    expect(onTracked).toHaveBeenCalledTimes(1);
  });

  it('uses identify(id) for the rest of the request, under an explicit distinctId', async () => {
    const { tracker, recorder } = setup(signedIn(), { identify });
    expect(tracker.distinctId).toBe('user-1');

    tracker.identify('user-new');
    await tracker.track('A');
    await tracker.track('B', {}, { distinctId: 'someone-else' });

    expect(tracker.distinctId).toBe('user-new');
    expect(recorder.events().map((e) => [e.event, e.distinctId])).toEqual([
      ['A', 'user-new'],
      ['B', 'someone-else'],
    ]);
  });

  it('reports a Symbol as event name from plain JS, instead of throwing at the call', async () => {
    const { tracker, recorder, messages } = setup(signedIn(), { identify });
    await expect(tracker.track(Symbol('Viewed') as never)).resolves.toBeUndefined();
    expect(recorder.events()).toEqual([]);
    expect(messages()).toEqual([
      'track "Symbol(Viewed)" was not sent: Cohorly.track: event must be a non-empty string, got Symbol(Viewed)',
    ]);
  });

  it('names the event when the client throws on its properties, and keeps what it threw', async () => {
    const server = await startTestServer();
    try {
      const client = new Cohorly(TOKEN, { consumer: new Consumer({ apiHost: server.url }) });
      const { tracker, errors, messages } = setup(signedIn(), { identify }, client);
      // An ORM entity whose relation was never loaded: reading it throws.
      const order = {
        id: 7,
        get customer(): never {
          throw new Error('lazy field not loaded');
        },
      };

      await expect(tracker.track('Order Viewed', { order })).resolves.toBeUndefined();
      await expect(tracker.peopleSet({ order } as never)).resolves.toBeUndefined();
      await tracker.track('Kept');

      // However the client words it, the message names what was lost, then why.
      expect(messages()).toEqual([
        expect.stringMatching(/^track "Order Viewed" was not sent: .*lazy field not loaded/),
        expect.stringMatching(/^peopleSet was not sent: .*lazy field not loaded/),
      ]);
      // The client's own error is kept as the cause.
      const cause = (errors[0] as Error).cause as Error;
      expect(messages()[0]).toBe(`track "Order Viewed" was not sent: ${cause.message}`);
      expect((await server.waitForEvents(1)).map((e) => e.event)).toEqual(['Kept']);
    } finally {
      await server.close();
    }
  });

  it('takes a numeric id (a database key) in identify(id), as identify(req) does', async () => {
    const { tracker, recorder, messages } = setup(signedIn(), { identify });
    tracker.identify(1234);
    await tracker.track('Signed Up');
    tracker.identify(2 ** 64);
    tracker.identify({ id: 5 } as never);
    await tracker.track('Upgraded');

    expect(recorder.events().map((e) => [e.event, e.distinctId])).toEqual([
      ['Signed Up', '1234'],
      ['Upgraded', '1234'],
    ]);
    expect(messages()).toEqual([
      'identify: distinctId is 18446744073709552000, which is no whole number JavaScript holds exactly (ids past 2^53 lose digits, so users would share one): pass the id as a string',
      'identify: distinctId must be a non-empty string or a number, got [object Object]',
    ]);
  });

  it('aliases to the request id by default, and sends people operations for the request user', async () => {
    const req = plainRequest({ headers: { 'x-cohorly-anonymous-id': 'anon-1' } });
    const { tracker, recorder, errors } = setup(req);

    await tracker.alias('user-1');
    await tracker.alias('user-2', 'user-1');
    await tracker.peopleSet({ plan: 'pro' });
    await tracker.peopleSetOnce({ first: 'x' });
    await tracker.peopleIncrement({ logins: 1 });
    await tracker.peopleUnset(['trial']);
    await tracker.peopleDelete({ distinctId: 'user-9' });

    expect(recorder.aliases().map((a) => [a.alias, a.distinctId])).toEqual([
      ['user-1', 'anon-1'],
      ['user-2', 'user-1'],
    ]);
    expect(recorder.people().map((p) => [p.operation, p.distinctId, p.value])).toEqual([
      ['$set', 'anon-1', { plan: 'pro' }],
      ['$set_once', 'anon-1', { first: 'x' }],
      ['$add', 'anon-1', { logins: 1 }],
      ['$unset', 'anon-1', ['trial']],
      ['$delete', 'user-9', true],
    ]);
    expect(errors).toEqual([]);
  });

  it('does not send what has no distinct id, and says so through onError', async () => {
    const { tracker, recorder, messages, onTracked } = setup(plainRequest(), { identify });

    await expect(tracker.track('Nobody')).resolves.toBeUndefined();
    await expect(tracker.peopleSet({ a: 1 })).resolves.toBeUndefined();

    expect(recorder.messages()).toEqual([]);
    expect(onTracked).not.toHaveBeenCalled();
    expect(messages()).toEqual([
      'track "Nobody" was not sent: this request has no distinct id (pass { distinctId }, configure identify(req), or send an anonymous id)',
      'peopleSet was not sent: this request has no distinct id (pass { distinctId }, configure identify(req), or send an anonymous id)',
    ]);
    expect(tracker.distinctId).toBeUndefined();
  });

  it('never throws and never rejects, whatever fails', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const broken = setup(signedIn(), {
      identify: () => {
        throw new Error('identify broke');
      },
    });
    const badSuper = setup(signedIn(), {
      identify,
      superProperties: () => {
        throw new Error('superProperties broke');
      },
    });
    const ok = setup(signedIn(), { identify });

    const calls = [
      broken.tracker.track('A'),
      badSuper.tracker.track('B'),
      ok.tracker.track('C', { big: 1n as never }),
      ok.tracker.track('D', circular as never),
      ok.tracker.track(''),
      ok.tracker.peopleIncrement({ n: Number.NaN }),
      ok.tracker.peopleUnset('trial' as never),
      ok.tracker.alias(''),
    ];
    ok.tracker.identify('' as string);
    ok.tracker.identify(undefined as never);

    await expect(Promise.all(calls)).resolves.toEqual(Array(calls.length).fill(undefined));
    expect(broken.messages()).toEqual([
      'track "A" was not sent: identify(req) threw: identify broke',
    ]);
    expect(badSuper.messages()).toEqual([
      'track "B" was not sent: superProperties(req) threw: superProperties broke',
    ]);
    expect(ok.errors).toHaveLength(8);
    for (const error of ok.errors) expect(error).toBeInstanceOf(TypeError);
    expect([broken, badSuper, ok].flatMap((s) => s.recorder.messages())).toEqual([]);
    expect(ok.tracker.distinctId).toBe('user-1');
  });

  it('reports a delivery that rejects (the synchronous Consumer) instead of rejecting', async () => {
    const server = await startTestServer();
    try {
      server.faults.next('/track', { status: 400, body: { error: 'bad event' } });
      const client = new Cohorly(TOKEN, { consumer: new Consumer({ apiHost: server.url }) });
      const { tracker, messages } = setup(signedIn(), { identify }, client);

      await expect(tracker.track('Rejected')).resolves.toBeUndefined();
      await expect(tracker.track('Accepted')).resolves.toBeUndefined();

      // track() resolved once queued; the deliveries finish on their own.
      await server.waitForEvents(1);
      await vi.waitUntil(() => messages().length === 1);
      expect(messages()[0]).toContain('400');
      expect(server.events().map((e) => e.event)).toEqual(['Accepted']);
    } finally {
      await server.close();
    }
  });

  it('resolves once the event is queued, not after the batch it fills is delivered', async () => {
    const server = await startTestServer();
    let requests = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const consumer = new BufferedConsumer({
      apiHost: server.url,
      maxSize: 1,
      flushIntervalMs: 0,
      fetch: async (input, init) => {
        requests += 1;
        await gate;
        return fetch(input, init);
      },
    });
    try {
      const { tracker } = setup(signedIn(), { identify }, new Cohorly(TOKEN, { consumer }));
      let resolved = false;
      // A handler that awaits track(): the batch it fills is on its way, and slow.
      const tracking = tracker.track('Checkout Completed').then(() => {
        resolved = true;
      });
      await vi.waitUntil(() => requests === 1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(resolved).toBe(true);
      release();
      await tracking;
      await expect(consumer.close({ timeoutMs: 5000 })).resolves.toMatchObject({ drained: true });
      expect(server.events().map((e) => e.event)).toEqual(['Checkout Completed']);
    } finally {
      release();
      await server.close();
    }
  });

  it('reports an empty explicit distinctId or non-object properties, and sends neither', async () => {
    const { tracker, recorder, messages } = setup(signedIn(), { identify });

    await tracker.track('Paid', {}, { distinctId: '' });
    await tracker.peopleSet({ plan: 'pro' }, { distinctId: '' });
    await tracker.track('Listed', [1, 2] as never);
    await tracker.track('Named', 'x' as never);
    await tracker.track('Kept');

    expect(messages()).toEqual([
      'track "Paid" was not sent: distinctId must be a non-empty string, got ""',
      'peopleSet was not sent: distinctId must be a non-empty string, got ""',
      'track "Listed" was not sent: properties must be a plain object, got an array',
      'track "Named" was not sent: properties must be a plain object, got "x"',
    ]);
    // Not sent to the request's user instead, and nothing else lost.
    expect(recorder.events().map((e) => [e.event, e.distinctId])).toEqual([['Kept', 'user-1']]);
    expect(recorder.people()).toEqual([]);
  });

  it("refuses options other than { distinctId }, instead of sending to the request's user", async () => {
    const server = await startTestServer();
    try {
      const client = new Cohorly(TOKEN, { consumer: new Consumer({ apiHost: server.url }) });
      // An admin sends an invoice for account owner-7, with the names of other SDKs.
      const { tracker, errors, messages } = setup(
        plainRequest({ user: 'admin-1' }),
        { identify },
        client,
      );

      await tracker.track('Invoice Sent', { amount: 120 }, { distinct_id: 'owner-7' } as never);
      await tracker.track('Invoice Sent', { amount: 120 }, { userId: 'owner-7' } as never);
      await tracker.track('Invoice Sent', {}, 'owner-7' as never);
      await tracker.track('Invoice Sent', {}, null as never);
      await tracker.track('Invoice Sent', {}, { distinctId: 'owner-7', when: 1 } as never);
      await tracker.peopleSet({ last_invoice: 120 }, { distinct_id: 'owner-7' } as never);
      await tracker.peopleSetOnce({ first_invoice: 120 }, { distinctid: 'owner-7' } as never);
      await tracker.peopleIncrement({ invoices: 1 }, 7 as never);
      await tracker.peopleUnset(['trial'], { user_id: 'owner-7' } as never);
      await tracker.peopleDelete({ id: 'owner-7' } as never);
      await tracker.track('Invoice Paid', { amount: 120 }, { distinctId: 'owner-7' });

      expect(messages()).toEqual([
        'track "Invoice Sent" was not sent: distinct_id is not an option (did you mean distinctId?)',
        'track "Invoice Sent" was not sent: userId is not an option (did you mean distinctId?)',
        'track "Invoice Sent" was not sent: options must be an object such as { distinctId: "owner-7" }, got "owner-7"',
        'track "Invoice Sent" was not sent: options must be an object such as { distinctId: "user-1" }, got null',
        'track "Invoice Sent" was not sent: when is not an option (the only one is distinctId)',
        'peopleSet was not sent: distinct_id is not an option (did you mean distinctId?)',
        'peopleSetOnce was not sent: distinctid is not an option (did you mean distinctId?)',
        'peopleIncrement was not sent: options must be an object such as { distinctId: "7" }, got 7',
        'peopleUnset was not sent: user_id is not an option (did you mean distinctId?)',
        'peopleDelete was not sent: id is not an option (the only one is distinctId)',
      ]);
      for (const error of errors) expect(error).toBeInstanceOf(TypeError);
      // Nothing filed under the admin: only the call with the right option was sent.
      const [event] = await server.waitForEvents(1);
      expect([event?.event, event?.distinctId]).toEqual(['Invoice Paid', 'owner-7']);
      expect(server.profiles()).toEqual([]);
      expect(server.requests()).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('reports an identify(req) that returns no id, instead of sending "[object Object]"', async () => {
    for (const user of [{ id: 'user-1' }, Number.NaN, true]) {
      const { tracker, recorder, messages } = setup(signedIn(), { identify: () => user as never });
      await tracker.track('Viewed');
      expect(tracker.distinctId).toBeUndefined();
      expect(recorder.events()).toEqual([]);
      const got = typeof user === 'object' ? 'an object' : String(user);
      const why = `identify(req) must return a string or a number (or nothing for no user), got ${got}`;
      // From track(), naming the event it cost; from distinctId, as it is.
      expect(messages()).toEqual([`track "Viewed" was not sent: ${why}`, why]);
    }
  });

  it('reads distinctId without throwing when identify(req) throws, naming identify(req)', () => {
    const failure = new Error('session store down');
    const { tracker, errors, messages } = setup(signedIn(), {
      identify: () => {
        throw failure;
      },
    });
    expect(tracker.distinctId).toBeUndefined();
    expect(messages()).toEqual(['identify(req) threw: session store down']);
    expect((errors[0] as Error).cause).toBe(failure);
  });

  it('names the event and identify(req) when identify(req) throws, and sends nothing', async () => {
    // The README's identify without its `?.`, on a request with no user.
    const { tracker, recorder, errors, messages } = setup(plainRequest(), {
      identify: (req) => (req as unknown as { user: { id: string } }).user.id,
    });

    await tracker.track('Product Viewed', { sku: 'tea' });
    await tracker.peopleSet({ plan: 'pro' });

    expect(recorder.messages()).toEqual([]);
    expect(messages()).toEqual([
      expect.stringMatching(
        /^track "Product Viewed" was not sent: identify\(req\) threw: Cannot read properties of undefined/,
      ),
      expect.stringMatching(/^peopleSet was not sent: identify\(req\) threw: Cannot read/),
    ]);
    // The error identify threw stays reachable, as the cause of the cause.
    const cause = (errors[0] as Error).cause as Error;
    expect(cause.message).toMatch(/^identify\(req\) threw: /);
    expect(cause.cause).toBeInstanceOf(TypeError);
  });

  it('reports superProperties(req) that throws or returns no object, naming the event', async () => {
    let result: unknown = 'tenant-a';
    const { tracker, recorder, messages } = setup(signedIn(), {
      identify,
      superProperties: () => {
        if (result instanceof Error) throw result;
        return result as never;
      },
    });
    await tracker.track('Checkout');
    result = new Error('tenant lookup failed');
    await tracker.track('Checkout');
    result = { tenant: 'a' };
    await tracker.track('Checkout');

    expect(messages()).toEqual([
      'track "Checkout" was not sent: superProperties(req) must return a plain object, got "tenant-a"',
      'track "Checkout" was not sent: superProperties(req) threw: tenant lookup failed',
    ]);
    expect(recorder.events().map((e) => e.properties.tenant)).toEqual(['a']);
  });

  it('leaves the keys the SDK stamps out of superProperties(req), says so once, and delivers every event', async () => {
    const server = await startTestServer();
    try {
      const client = new Cohorly(TOKEN, { consumer: new Consumer({ apiHost: server.url }) });
      const { tracker, messages } = setup(
        signedIn(),
        {
          identify,
          // A tenant-wide id, a request id and a fixed time, as a user might put them there.
          superProperties: (req) => ({
            tenant: req.headers['x-tenant'],
            distinct_id: 'tenant-acme',
            $insert_id: 'req-1',
            time: 0,
          }),
        },
        client,
      );
      const before = Date.now();

      await tracker.track('Viewed A');
      await tracker.track('Clicked B');
      await tracker.track('System Job', {}, { distinctId: 'system' });
      // A caller's own time and $insert_id for one event are still its to set.
      await tracker.track('Imported', { time: 1_700_000_000_000, $insert_id: 'import-1' });

      const events = await server.waitForEvents(4);
      const byName = Object.fromEntries(events.map((e) => [e.event, e]));
      expect(events.map((e) => [e.event, e.distinctId, e.properties.tenant]).sort()).toEqual([
        ['Clicked B', 'user-1', 'acme'],
        ['Imported', 'user-1', 'acme'],
        ['System Job', 'system', 'acme'],
        ['Viewed A', 'user-1', 'acme'],
      ]);
      for (const name of ['Viewed A', 'Clicked B', 'System Job']) {
        expect(byName[name]!.properties.time).toBeGreaterThanOrEqual(before);
        expect(byName[name]!.insertId).not.toBe('req-1');
      }
      expect(byName.Imported!.properties.time).toBe(1_700_000_000_000);
      expect(byName.Imported!.insertId).toBe('import-1');
      const why =
        "superProperties(req) returned distinct_id, which would replace the event's user, even one tracked with an explicit { distinctId }; " +
        'time, which would replace the time each event happened; ' +
        '$insert_id, which would give every event of the request the same insert id, so the server would keep only one of them; ' +
        'left out of this event and every later one (the SDK sets them itself); said once';
      // Said once: every request returns the same keys, and a warning each would flood logs.
      expect(messages()).toEqual([`track "Viewed A": ${why}`]);
    } finally {
      await server.close();
    }
  });

  it("keeps the event's token and library when superProperties(req) returns its own", async () => {
    const { tracker, recorder, messages } = setup(signedIn(), {
      identify,
      superProperties: () => ({
        token: 'other-project',
        $lib: 'mine',
        $lib_version: '9',
        plan: 'pro',
      }),
    });

    await tracker.track('Viewed');

    const event = recorder.expectEvent('Viewed');
    expect(event.properties).toMatchObject({ plan: 'pro' });
    expect(event.properties.$lib).not.toBe('mine');
    expect(event.properties.$lib_version).not.toBe('9');
    expect(messages()).toEqual([
      `track "Viewed": superProperties(req) returned token, which would replace the project's token; $lib, which would replace the SDK's name; $lib_version, which would replace the SDK's version; left out of this event and every later one (the SDK sets them itself); said once`,
    ]);
  });

  it('reports async callbacks and Maps instead of dropping their properties without a word', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let result: unknown;
      const { tracker, recorder, messages } = setup(signedIn(), {
        identify,
        superProperties: () => result as never,
      });
      result = Promise.resolve({ plan: 'pro' });
      await tracker.track('Async');
      result = Promise.reject(new Error('tenant lookup failed'));
      await tracker.track('Rejected');
      result = new Map([['plan', 'pro']]);
      await tracker.track('Mapped');
      result = { plan: 'pro' };
      await tracker.track('Pending', Promise.resolve({ total: 9 }) as never);
      await tracker.track('Failed', Promise.reject(new Error('order lookup failed')) as never);
      await tracker.track('Kept');

      const promised =
        'superProperties(req) returned a Promise: superProperties must return its properties synchronously (read them from req, set by a middleware that runs before this one)';
      expect(messages()).toEqual([
        `track "Async" was not sent: ${promised}`,
        `track "Rejected" was not sent: ${promised}`,
        'track "Mapped" was not sent: superProperties(req) must return a plain object, got a Map',
        'track "Pending" was not sent: properties must be a plain object, got a Promise (track() reads properties synchronously: await them first)',
        'track "Failed" was not sent: properties must be a plain object, got a Promise (track() reads properties synchronously: await them first)',
      ]);
      expect(recorder.events().map((e) => [e.event, e.properties.plan])).toEqual([['Kept', 'pro']]);

      const asyncIdentify = setup(signedIn(), {
        identify: (async (req: PlainRequest) => req.user) as never,
      });
      const failingIdentify = setup(signedIn(), {
        identify: (async () => {
          throw new Error('session store down');
        }) as never,
      });
      await asyncIdentify.tracker.track('Viewed');
      await failingIdentify.tracker.track('Viewed');
      // Dropped for want of a user, a rejecting Promise given as properties is still handled.
      await setup(plainRequest(), { identify }).tracker.track(
        'Nobody',
        Promise.reject(new Error('never read')) as never,
      );

      const asyncId =
        'identify(req) returned a Promise: it must return the id synchronously, e.g. from req.user set by your auth middleware';
      expect([...asyncIdentify.messages(), ...failingIdentify.messages()]).toEqual([
        `track "Viewed" was not sent: ${asyncId}`,
        `track "Viewed" was not sent: ${asyncId}`,
      ]);
      expect([asyncIdentify, failingIdentify].flatMap((s) => s.recorder.messages())).toEqual([]);
      // Turns for a stray rejection to surface.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('shields the caller from an onError that throws', async () => {
    const recorder = createRecorder();
    const reported: string[] = [];
    const tracker = new RequestTracker({
      req: plainRequest(),
      client: new Cohorly(TOKEN, { consumer: recorder }),
      accessor: plainAccessor,
      options: {},
      onError: (error) => {
        reported.push(error instanceof Error ? error.message : String(error));
        throw new Error('handler broke');
      },
    });

    await expect(tracker.track('Nobody')).resolves.toBeUndefined();
    expect(() => tracker.identify('')).not.toThrow();
    // Both failures reached the throwing onError, which is what the caller was shielded from.
    expect(reported).toEqual([
      expect.stringContaining('track "Nobody" was not sent'),
      expect.stringContaining('identify: distinctId must be a non-empty string'),
    ]);
    expect(recorder.events()).toEqual([]);
  });

  it('with discard, sends nothing and reports nothing', async () => {
    const recorder = createRecorder();
    const onError = vi.fn();
    const onTracked = vi.fn();
    const tracker = new RequestTracker({
      req: signedIn(),
      client: new Cohorly(TOKEN, { consumer: recorder }),
      accessor: plainAccessor,
      options: { identify } as IntegrationOptions<unknown>,
      onError,
      onTracked,
      discard: true,
    });

    await tracker.track('Health Checked');
    await tracker.track('');
    await tracker.peopleSet({ a: 1 });
    await tracker.alias('x');

    expect(recorder.messages()).toEqual([]);
    expect(onError).not.toHaveBeenCalled();
    expect(onTracked).not.toHaveBeenCalled();
    expect(tracker.distinctId).toBe('user-1');
  });
});
