import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StoredEvent } from './event-store.js';
import { post, trackBody } from './http-test-helpers.js';
import { startTestServer, type TestServer } from './test-server.js';

let server: TestServer | undefined;

async function start(): Promise<TestServer> {
  server = await startTestServer();
  return server;
}

afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

describe('waitForEvents', () => {
  it('resolves with every event once the count has arrived', async () => {
    const s = await start();
    const waiting = s.waitForEvents(3);
    await post(s.url, '/track', [trackBody('A', 'u1'), trackBody('B', 'u1')]);
    await post(s.url, '/track', trackBody('C', 'u2'));
    expect((await waiting).map((e) => e.event)).toEqual(['A', 'B', 'C']);
  });

  it('resolves at once when enough events are already stored', async () => {
    const s = await start();
    await post(s.url, '/track', trackBody('A', 'u1'));
    expect(await s.waitForEvents(1)).toHaveLength(1);
    expect(await s.waitForEvents(0)).toHaveLength(1);
  });

  it('waits for events matching a predicate or a filter, with a count', async () => {
    const s = await start();
    const byPredicate = s.waitForEvents((e) => e.properties.plan === 'pro');
    const byFilter = s.waitForEvents({ event: 'Paid' }, { count: 2 });
    await post(s.url, '/track', [trackBody('Paid', 'u1'), trackBody('Visit', 'u1')]);
    await post(s.url, '/track', trackBody('Signed Up', 'u2', { plan: 'pro' }));
    expect((await byPredicate).map((e) => e.event)).toEqual(['Signed Up']);
    let paidDone = false;
    byFilter.then(() => {
      paidDone = true;
    });
    await post(s.url, '/track', trackBody('Visit', 'u3'));
    expect(paidDone).toBe(false);
    await post(s.url, '/track', trackBody('Paid', 'u3'));
    expect((await byFilter).map((e) => e.distinctId)).toEqual(['u1', 'u3']);
  });

  it('does not count a duplicate that was not stored', async () => {
    const s = await start();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const waiting = s.waitForEvents(2, { timeoutMs: 1_000 });
    const failure = expect(waiting).rejects.toThrow(/timed out after 1000 ms/);
    const event = trackBody('A', 'u1', { $insert_id: 'same' });
    await post(s.url, '/track', event);
    await post(s.url, '/track', event);
    await vi.advanceTimersByTimeAsync(1_000);
    await failure;
  });

  it('rejects at the timeout (fake timers) with a list of what did arrive', async () => {
    const s = await start();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const waiting = s.waitForEvents({ event: 'Paid', distinctId: 'u9' }, { timeoutMs: 2_000 });
    let settled = false;
    waiting.catch(() => {
      settled = true;
    });
    await post(s.url, '/track', [
      trackBody('Visit', 'u1', { plan: 'pro' }),
      trackBody('Paid', 'u2'),
    ]);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await waiting.then(
      () => undefined,
      (reason: Error) => reason,
    );
    expect(error?.message).toBe(
      'waitForEvents: timed out after 2000 ms waiting for 1 event(s) matching ' +
        '{"event":"Paid","distinctId":"u9"}; 0 matched. Events stored (2):\n' +
        `  1. "Visit" distinct_id="u1" ${JSON.stringify(s.events()[0]?.properties)}\n` +
        `  2. "Paid" distinct_id="u2" ${JSON.stringify(s.events()[1]?.properties)}`,
    );
  });

  it('rejects a pending wait when the server closes', async () => {
    const s = await start();
    const waiting = s.waitForEvents(1);
    await s.close();
    await expect(waiting).rejects.toThrow('waitForEvents: the test server was closed');
  });

  it('rejects a wait begun after close() at once, even when enough events are stored', async () => {
    const s = await start();
    await post(s.url, '/track', trackBody('A', 'u1'));
    await s.close();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const waiting = s.waitForEvents(1, { timeoutMs: 60_000 });
    let settled = false;
    waiting.catch(() => {
      settled = true;
    });
    // No timer fires: the answer must not wait for the 60 s timeout.
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
    await expect(waiting).rejects.toThrow(
      new Error('waitForEvents: the test server was closed, so no event can arrive any more'),
    );
  });

  it('resolves a distinctId wait when an alias stored after the events links them', async () => {
    const s = await start();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    // The usual order of an app: track anonymously, then alias the new user id to that one.
    const byUser = s.waitForEvents({ distinctId: 'user-1' }, { timeoutMs: 1_000 });
    const byAnon = s.waitForEvents({ distinctId: 'anon-2' }, { timeoutMs: 1_000 });
    const unrelated = s.waitForEvents({ distinctId: 'user-3' }, { timeoutMs: 1_000 });
    const unrelatedFailure = expect(unrelated).rejects.toThrow(/timed out after 1000 ms/);
    await post(s.url, '/track', [trackBody('Viewed', 'anon-1'), trackBody('Paid', 'user-2')]);
    await post(s.url, '/alias', { alias: 'user-1', distinct_id: 'anon-1', token: 'T' });
    await post(s.url, '/alias', { alias: 'anon-2', distinct_id: 'user-2', token: 'T' });
    // Before the fix, both timed out here with "1 matched".
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await byUser).map((e) => e.event)).toEqual(['Viewed']);
    expect((await byAnon).map((e) => e.event)).toEqual(['Paid']);
    await unrelatedFailure;
  });

  it('rejects, naming the event, when the predicate throws, without uncaught errors', async () => {
    const s = await start();
    await post(s.url, '/track', trackBody('Page', 'u1'));
    const lower = (e: StoredEvent) => (e.properties.plan as string).toLowerCase() === 'pro';
    // Throws on an event stored before the wait: a rejection, not a synchronous throw.
    const early = s.waitForEvents(lower);
    await expect(early).rejects.toThrow(
      /^waitForEvents: the predicate threw on the event "Page" distinct_id="u1": Cannot read properties of undefined/,
    );
    const cause = await early.catch((error: Error) => error.cause);
    expect(cause).toBeInstanceOf(TypeError);
    s.reset();
    // Throws on an event that arrives while it waits: the request still succeeds.
    const late = expect(s.waitForEvents({ where: lower }, { timeoutMs: 1_000 })).rejects.toThrow(
      /^waitForEvents: the filter's where\(\) threw on the event "Visit" distinct_id="u2": /,
    );
    expect((await post(s.url, '/track', trackBody('Visit', 'u2'))).status).toBe(200);
    await late;
  });

  it('settles at the timeout even when the predicate throws only then (fake timers)', async () => {
    const s = await start();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let broken = false;
    const waiting = s.waitForEvents(
      (e) => {
        if (broken) throw new Error('the fixture is gone');
        return e.event === 'Paid';
      },
      { timeoutMs: 1_000 },
    );
    const failure = expect(waiting).rejects.toThrow(
      new Error(
        'waitForEvents: the predicate threw on the event "Visit" distinct_id="u1": the fixture is gone',
      ),
    );
    await post(s.url, '/track', trackBody('Visit', 'u1'));
    broken = true;
    await vi.advanceTimersByTimeAsync(1_000);
    await failure;
  });

  it('rejects a filter with a key it does not know, instead of matching every event', async () => {
    const s = await start();
    await post(s.url, '/track', trackBody('Signed Up', 'someone-else'));
    await expect(s.waitForEvents({ distinct_id: 'user-1' } as never)).rejects.toThrow(
      new TypeError(
        'event filter: unknown key "distinct_id" (valid: event, distinctId, token, properties, where)',
      ),
    );
  });

  it('rejects a count that is not a whole number', async () => {
    const s = await start();
    await expect(s.waitForEvents(1.5)).rejects.toThrow(TypeError);
    await expect(s.waitForEvents(1, { timeoutMs: -1 })).rejects.toThrow(TypeError);
  });

  it('rejects a timeoutMs a Node timer cannot wait, instead of timing out after 1 ms', async () => {
    const s = await start();
    for (const timeoutMs of [2 ** 31, Number.MAX_SAFE_INTEGER]) {
      await expect(s.waitForEvents(5, { timeoutMs })).rejects.toThrow(
        new TypeError(
          `waitForEvents: timeoutMs must be a number of milliseconds from 0 to 2147483647, got ${timeoutMs}`,
        ),
      );
    }
  });

  it('rejects options that are not an object, or an option it does not have', async () => {
    const s = await start();
    await expect(s.waitForEvents({ event: 'A' }, 2 as never)).rejects.toThrow(
      new TypeError('waitForEvents: options must be an object such as { timeoutMs, count }, got 2'),
    );
    await expect(s.waitForEvents(1, { timeout: 100 } as never)).rejects.toThrow(
      new TypeError('waitForEvents: unknown option "timeout" (valid: timeoutMs, count)'),
    );
  });

  it('waits the longest timeoutMs a timer can, 2147483647 ms (fake timers)', async () => {
    const s = await start();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const waiting = s.waitForEvents(1, { timeoutMs: 2 ** 31 - 1 });
    const failure = expect(waiting).rejects.toThrow(/timed out after 2147483647 ms/);
    let settled = false;
    waiting.catch(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(2 ** 31 - 2);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await failure;
  });
});
