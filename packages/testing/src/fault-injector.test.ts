import { afterEach, describe, expect, it, vi } from 'vitest';
import { post, trackBody } from './http-test-helpers.js';
import { startTestServer, type TestServer, type TestServerOptions } from './test-server.js';

let server: TestServer | undefined;

async function start(options?: TestServerOptions): Promise<TestServer> {
  server = await startTestServer(options);
  return server;
}

afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

/** Resolves with the error a request failed with, or fails when it got an answer. */
async function networkError(request: Promise<unknown>): Promise<Error> {
  const error = await request.then(
    () => undefined,
    (reason: unknown) => reason as Error,
  );
  if (error === undefined) throw new Error('expected the request to fail without an answer');
  return error;
}

describe('faults.next', () => {
  it('answers the next requests from the script, in order, then normally again', async () => {
    const s = await start();
    s.faults.next('/track', [
      { status: 503 },
      { status: 429, headers: { 'Retry-After': '3' } },
      { status: 400, body: 'plain text' },
    ]);
    expect(s.faults.pending('/track')).toBe(3);
    const event = trackBody('A', 'u1');
    const first = await post(s.url, '/track', event);
    expect(first).toMatchObject({ status: 503, body: { error: 'injected fault' } });
    const second = await post(s.url, '/track', event);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('3');
    expect(await post(s.url, '/track', event)).toMatchObject({ status: 400, body: 'plain text' });
    expect(s.events()).toEqual([]);
    expect(s.faults.pending()).toBe(0);
    expect(await post(s.url, '/track', event)).toMatchObject({ status: 200, body: { status: 1 } });
    expect(s.events()).toHaveLength(1);
    expect(s.requests().map((r) => [r.status, r.fault])).toEqual([
      [503, 'scripted'],
      [429, 'scripted'],
      [400, 'scripted'],
      [200, undefined],
    ]);
  });

  it('scripts only the endpoint named; "*" scripts any, after the endpoint own steps', async () => {
    const s = await start();
    s.faults.next('*', { status: 502 });
    s.faults.next('/engage', { status: 500 });
    const people = { token: 'T', distinct_id: 'u1', $set: { a: 1 } };
    expect((await post(s.url, '/engage', people)).status).toBe(500);
    expect((await post(s.url, '/engage', people)).status).toBe(502);
    expect((await post(s.url, '/engage', people)).status).toBe(200);
    expect((await post(s.url, '/alias', { alias: 'n', distinct_id: 'o', token: 'T' })).status).toBe(
      200,
    );
    expect(s.profiles()).toHaveLength(1);
    expect(s.aliases()).toHaveLength(1);
  });

  it('drop destroys the connection without an answer and stores nothing', async () => {
    const s = await start();
    s.faults.next('/track', { drop: true });
    const error = await networkError(post(s.url, '/track', trackBody('A', 'u1')));
    expect(error).toBeInstanceOf(TypeError);
    expect(s.events()).toEqual([]);
    expect(s.requests()[0]).toMatchObject({ status: null, fault: 'scripted' });
    expect((await post(s.url, '/track', trackBody('A', 'u1'))).status).toBe(200);
  });

  it('store: true on a drop or a 5xx stores the request, as a server that lost its answer', async () => {
    const s = await start();
    s.faults.next('/track', [
      { drop: true, store: true },
      { status: 500, store: true },
    ]);
    await networkError(post(s.url, '/track', trackBody('A', 'u1')));
    expect((await post(s.url, '/track', trackBody('B', 'u1'))).status).toBe(500);
    expect(s.events().map((e) => e.event)).toEqual(['A', 'B']);
  });

  it('a 2xx step with store: false answers success but loses the data', async () => {
    const s = await start();
    s.faults.next('/track', { status: 202, store: false });
    expect(await post(s.url, '/track', trackBody('A', 'u1'))).toMatchObject({
      status: 202,
      body: { status: 1 },
    });
    expect(s.events()).toEqual([]);
  });

  it('store: false alone answers 200 {"status":1} and stores nothing', async () => {
    const s = await start();
    s.faults.next('/track', { store: false, headers: { 'X-Lost': '1' } });
    const answer = await post(s.url, '/track', trackBody('A', 'u1'));
    expect(answer).toMatchObject({ status: 200, body: { status: 1 } });
    expect(answer.headers.get('x-lost')).toBe('1');
    expect(s.events()).toEqual([]);
  });

  it('a step with only headers keeps the server answer, validation included', async () => {
    const s = await start();
    s.faults.next('/track', [{ headers: { 'X-Trace': 'a' } }, { headers: { 'X-Trace': 'b' } }]);
    const ok = await post(s.url, '/track', trackBody('A', 'u1'));
    expect(ok).toMatchObject({ status: 200, body: { status: 1 } });
    expect(ok.headers.get('x-trace')).toBe('a');
    const bad = await post(s.url, '/track', { event: 'A' });
    expect(bad).toMatchObject({ status: 400, body: { error: 'properties must be a JSON object' } });
    expect(bad.headers.get('x-trace')).toBe('b');
  });

  it.each([
    ['15000', 15_000],
    ['2147483647, the longest a timer can wait', 2 ** 31 - 1],
  ])(
    'delayMs holds the answer until that much (fake) time has passed: %s ms',
    async (_, delayMs) => {
      const s = await start();
      s.faults.next('/track', { delayMs });
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      let answered = false;
      const request = post(s.url, '/track', trackBody('A', 'u1')).then((result) => {
        answered = true;
        return result;
      });
      // A delayed step stores first, then waits: the event arriving means the request is held.
      await s.waitForEvents(1);
      await vi.advanceTimersByTimeAsync(delayMs - 1);
      expect(answered).toBe(false);
      expect(s.requests()[0]?.status).toBeNull();
      await vi.advanceTimersByTimeAsync(1);
      expect((await request).status).toBe(200);
      expect(s.requests()[0]).toMatchObject({ status: 200, fault: 'scripted' });
    },
  );

  it('a client that gives up on a delayed answer leaves it stored but unanswered', async () => {
    const s = await start();
    s.faults.next('/track', { delayMs: 60_000 });
    const controller = new AbortController();
    const request = fetch(`${s.url}/track`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(trackBody('A', 'u1')),
      signal: controller.signal,
    });
    // The event is stored before the delay: once it is there, the request is being held.
    await s.waitForEvents(1);
    controller.abort();
    await expect(request).rejects.toThrow(/abort/i);
    // close() must not wait the remaining minute for the pending delay.
    await s.close();
    expect(s.requests()[0]?.status).toBeNull();
    expect(s.events()).toHaveLength(1);
  });

  it('close() ends requests held by a delay', async () => {
    const s = await start();
    s.faults.next('/track', { delayMs: 60_000 });
    const request = post(s.url, '/track', trackBody('A', 'u1'));
    await s.waitForEvents(1);
    await s.close();
    await networkError(request);
  });

  it('rejects malformed steps and targets with a TypeError', async () => {
    const s = await start();
    expect(() => s.faults.next('/nope' as '/track', { status: 500 })).toThrow(/unknown target/);
    expect(() => s.faults.next('/track', { status: 99 })).toThrow(/status/);
    expect(() => s.faults.next('/track', [{}, { delayMs: -1 }])).toThrow(/steps\[1\]\.delayMs/);
    expect(() => s.faults.failFor('*', Number.NaN)).toThrow(/ms/);
    expect(s.faults.pending()).toBe(0);
  });

  it('rejects a header that is not valid HTTP when scripted, not with a 500 later', async () => {
    const s = await start();
    const script = (headers: Record<string, string>) => () =>
      s.faults.next('/track', [{}, { status: 429, headers }]);
    expect(script({ 'Retry After': '3' })).toThrow(
      new TypeError(
        'faults: steps[1].headers: Header name must be a valid HTTP token ["Retry After"]',
      ),
    );
    expect(script({ 'Retry-After': '3\r\nX-Injected: 1' })).toThrow(
      new TypeError(
        'faults: steps[1].headers: Invalid character in header content ["Retry-After"]',
      ),
    );
    expect(script({ 'Retry-After': 3 as unknown as string })).toThrow(
      new TypeError('faults: steps[1].headers["Retry-After"] must be a string, got 3'),
    );
    expect(() => s.faults.next('/track', { headers: 'Retry-After: 3' as never })).toThrow(
      new TypeError('faults: steps[0].headers must be an object, got "Retry-After: 3"'),
    );
    expect(() =>
      s.faults.failFor('*', 1_000, { status: 429, headers: { 'Retry After': '3' } }),
    ).toThrow(
      new TypeError(
        'faults: options.headers: Header name must be a valid HTTP token ["Retry After"]',
      ),
    );
    // Nothing was scripted, not even the valid steps before the bad one.
    expect(s.faults.pending()).toBe(0);
    expect((await post(s.url, '/track', trackBody('A', 'u1'))).status).toBe(200);
  });

  it('checks headers as scripted: changing the object afterwards changes nothing', async () => {
    const s = await start();
    const headers: Record<string, string> = { 'Retry-After': '3' };
    s.faults.next('/track', { status: 429, headers });
    headers['Retry After'] = '4';
    const answer = await post(s.url, '/track', trackBody('A', 'u1'));
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('3');
  });

  it('rejects options of the wrong type and options it does not know', async () => {
    const s = await start();
    const bad = (step: Record<string, unknown>) => () => s.faults.next('/track', step);
    expect(bad({ drop: 'yes' })).toThrow(
      new TypeError('faults: steps[0].drop must be a boolean, got "yes"'),
    );
    expect(bad({ status: 500, store: 'false' })).toThrow(
      new TypeError('faults: steps[0].store must be a boolean, got "false"'),
    );
    expect(bad({ status: '503' })).toThrow(
      new TypeError('faults: steps[0].status must be an HTTP status 200-599, got "503"'),
    );
    expect(bad({ delayMs: '100' })).toThrow(
      new TypeError(
        'faults: steps[0].delayMs must be a number of milliseconds from 0 to 2147483647, got "100"',
      ),
    );
    expect(bad({ body: 1n })).toThrow(
      new TypeError(
        'faults: steps[0].body must be a string or a value JSON can encode: ' +
          'Do not know how to serialize a BigInt',
      ),
    );
    expect(bad({ body: () => 'x' })).toThrow(
      new TypeError(
        'faults: steps[0].body must be a string or a value JSON can encode, got a function',
      ),
    );
    expect(bad({ stauts: 503 })).toThrow(
      new TypeError(
        'faults: steps[0] has an unknown option "stauts" ' +
          '(valid: status, headers, body, delayMs, drop, store)',
      ),
    );
    expect(() => s.faults.next('/track', [{}, null as never])).toThrow(
      new TypeError('faults: steps[1] must be an object, got null'),
    );
    expect(() => s.faults.failFor('*', 1_000, { stauts: 429 } as never)).toThrow(
      new TypeError(
        'faults: options has an unknown option "stauts" (valid: status, headers, body)',
      ),
    );
    expect(() => s.faults.failFor('*', 1_000, null as never)).toThrow(
      new TypeError('faults: options must be an object, got null'),
    );
    // A step left undefined is a default, not a typo.
    s.faults.next('/track', { status: undefined, drop: undefined, headers: undefined });
    expect(s.faults.pending()).toBe(1);
    expect((await post(s.url, '/track', trackBody('A', 'u1'))).status).toBe(200);
    expect(s.events()).toHaveLength(1);
  });

  it('rejects a delayMs a Node timer cannot wait, instead of answering after 1 ms', async () => {
    const s = await start();
    for (const delayMs of [2 ** 31, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY]) {
      expect(() => s.faults.next('/track', { delayMs })).toThrow(
        new TypeError(
          `faults: steps[0].delayMs must be a number of milliseconds from 0 to 2147483647, got ${delayMs}`,
        ),
      );
    }
    expect(s.faults.pending()).toBe(0);
  });
});

describe('faults.failFor', () => {
  it('fails every request to the target during the window of the server clock', async () => {
    let now = 10_000;
    const s = await start({ clock: () => now });
    s.faults.failFor('/track', 5_000);
    const event = trackBody('A', 'u1');
    expect(await post(s.url, '/track', event)).toMatchObject({
      status: 503,
      body: { error: 'injected fault' },
    });
    // Other endpoints are not affected.
    const alias = { alias: 'n', distinct_id: 'o', token: 'T' };
    expect((await post(s.url, '/alias', alias)).status).toBe(200);
    now = 14_999;
    expect((await post(s.url, '/track', event)).status).toBe(503);
    expect(s.events()).toEqual([]);
    now = 15_000;
    expect((await post(s.url, '/track', event)).status).toBe(200);
    expect(s.events()).toHaveLength(1);
    expect(s.requests().map((r) => r.fault)).toEqual(['window', undefined, 'window', undefined]);
  });

  it('takes a status, headers and body, and "*" covers every endpoint', async () => {
    let now = 0;
    const s = await start({ clock: () => now });
    s.faults.failFor('*', 1_000, { status: 429, headers: { 'Retry-After': '1' }, body: 'busy' });
    const answer = await post(s.url, '/engage', { token: 'T', distinct_id: 'u', $set: {} });
    expect(answer).toMatchObject({ status: 429, body: 'busy' });
    expect(answer.headers.get('retry-after')).toBe('1');
    expect((await post(s.url, '/alias', { alias: 'n', distinct_id: 'o', token: 'T' })).status).toBe(
      429,
    );
    now = 1_000;
    expect((await post(s.url, '/alias', { alias: 'n', distinct_id: 'o', token: 'T' })).status).toBe(
      200,
    );
  });

  it('takes any finite window: it is measured on the server clock, not by a timer', async () => {
    let now = 0;
    const s = await start({ clock: () => now });
    s.faults.failFor('/track', Number.MAX_SAFE_INTEGER);
    now = 2 ** 40;
    expect((await post(s.url, '/track', trackBody('A', 'u1'))).status).toBe(503);
    expect(() => s.faults.failFor('/track', Number.POSITIVE_INFINITY)).toThrow(
      new TypeError('faults: ms must be a finite number of milliseconds >= 0, got Infinity'),
    );
  });

  it('yields to scripted steps, and reset() ends the window', async () => {
    const now = 0;
    const s = await start({ clock: () => now });
    s.faults.failFor('/track', 60_000);
    s.faults.next('/track', { status: 200 });
    expect((await post(s.url, '/track', trackBody('A', 'u1'))).status).toBe(200);
    expect((await post(s.url, '/track', trackBody('A', 'u1'))).status).toBe(503);
    s.reset();
    expect((await post(s.url, '/track', trackBody('A', 'u1'))).status).toBe(200);
  });
});

describe('rateLimit', () => {
  it('answers 429 with Retry-After past N requests per window, then lets requests in again', async () => {
    let now = 0;
    const s = await start({ clock: () => now, rateLimit: { requests: 2 } });
    const event = (name: string) => trackBody(name, 'u1');
    expect((await post(s.url, '/track', event('A'))).status).toBe(200);
    now = 200;
    expect((await post(s.url, '/track', event('B'))).status).toBe(200);
    const limited = await post(s.url, '/track', event('C'));
    expect(limited).toMatchObject({ status: 429, body: { error: 'rate limited' } });
    expect(limited.headers.get('retry-after')).toBe('1');
    now = 1_000;
    expect((await post(s.url, '/track', event('C'))).status).toBe(200);
    expect(s.events().map((e) => e.event)).toEqual(['A', 'B', 'C']);
    expect(s.requests()[2]?.fault).toBe('rate-limit');
  });

  it('rounds Retry-After up to whole seconds of the window left', async () => {
    let now = 0;
    const s = await start({ clock: () => now, rateLimit: { requests: 1, windowMs: 3_000 } });
    await post(s.url, '/track', trackBody('A', 'u1'));
    now = 500;
    const limited = await post(s.url, '/track', trackBody('B', 'u1'));
    expect(limited.headers.get('retry-after')).toBe('3');
  });

  it('rejects a rate limit that is not a positive integer', async () => {
    await expect(startTestServer({ rateLimit: { requests: 0 } })).rejects.toThrow(
      /rateLimit.requests/,
    );
  });

  it('rejects a rate limit option it does not know', async () => {
    await expect(
      startTestServer({ rateLimit: { requests: 5, window: 60_000 } as never }),
    ).rejects.toThrow(
      new TypeError('faults: rateLimit has an unknown option "window" (valid: requests, windowMs)'),
    );
    await expect(startTestServer({ rateLimit: { requests: '5' as never } })).rejects.toThrow(
      new TypeError('faults: rateLimit.requests must be an integer >= 1, got "5"'),
    );
    await expect(startTestServer({ rateLimit: { requests: 1, windowMs: 0 } })).rejects.toThrow(
      new TypeError('faults: rateLimit.windowMs must be more than 0, got 0'),
    );
  });
});
