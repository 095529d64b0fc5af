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
    expect(broken.messages()).toEqual(['identify broke']);
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

  it('reports an identify(req) that returns no id, instead of sending "[object Object]"', async () => {
    for (const user of [{ id: 'user-1' }, Number.NaN, true]) {
      const { tracker, recorder, messages } = setup(signedIn(), { identify: () => user as never });
      await tracker.track('Viewed');
      expect(tracker.distinctId).toBeUndefined();
      expect(recorder.events()).toEqual([]);
      const got = typeof user === 'object' ? 'an object' : String(user);
      expect(messages()).toEqual([
        `identify(req) must return a string or a number (or nothing for no user), got ${got}`,
        `identify(req) must return a string or a number (or nothing for no user), got ${got}`,
      ]);
    }
  });

  it('reads distinctId without throwing when identify(req) throws', () => {
    const { tracker, messages } = setup(signedIn(), {
      identify: () => {
        throw new Error('session store down');
      },
    });
    expect(tracker.distinctId).toBeUndefined();
    expect(messages()).toEqual(['session store down']);
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
