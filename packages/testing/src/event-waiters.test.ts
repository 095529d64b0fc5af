import { afterEach, describe, expect, it, vi } from 'vitest';
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
