import { describe, expect, it } from 'vitest';
import { useTestServers } from '../test/use-test-servers.js';
import { post, trackBody } from './http-test-helpers.js';
import { startTestServer } from './test-server.js';

const start = useTestServers();

describe('startTestServer', () => {
  it('listens on 127.0.0.1 on a free port and reports its URL', async () => {
    const { url, port } = await start();
    expect(port).toBeGreaterThan(0);
    expect(url).toBe(`http://127.0.0.1:${port}`);
  });

  it('rejects invalid options at once', async () => {
    await expect(startTestServer({ port: -1 })).rejects.toThrow(TypeError);
    await expect(startTestServer({ maxBodyBytes: 0 })).rejects.toThrow(/maxBodyBytes/);
  });

  it('rejects options that would be silently wrong: a typo, tokens as one string', async () => {
    // `token` (no s) would accept every token; 'abc' would be the tokens a, b and c.
    await expect(startTestServer({ token: 'T' } as never)).rejects.toThrow(
      new TypeError(
        'startTestServer: unknown option "token" (valid: port, host, tokens, maxBodyBytes, maxBatchSize, clock, rateLimit, initialEvents)',
      ),
    );
    await expect(startTestServer({ tokens: 'abc' as never })).rejects.toThrow(
      new TypeError('startTestServer: tokens must be an array of non-empty strings, got "abc"'),
    );
    await expect(startTestServer({ tokens: [''] })).rejects.toThrow(/tokens must be an array/);
    await expect(startTestServer({ clock: 5 as never })).rejects.toThrow(
      new TypeError('startTestServer: clock must be a function, got 5'),
    );
    await expect(startTestServer({ host: '' })).rejects.toThrow(
      new TypeError('startTestServer: host must be a non-empty string, got ""'),
    );
  });

  it('fails to start on a port that is taken', async () => {
    const first = await start();
    await expect(startTestServer({ port: first.port })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('queries', () => {
  it('filters events by name, distinct id, token, properties and predicate', async () => {
    const s = await start();
    await post(s.url, '/track', [
      trackBody('A', 'u1', { plan: 'pro', tags: { a: 1, b: 2 } }),
      trackBody('B', 'u1', { plan: 'free' }),
      trackBody('A', 'u2', { plan: 'pro' }, 'U'),
    ]);
    const ids = (events: { event: string; distinctId: string }[]) =>
      events.map((e) => `${e.event}:${e.distinctId}`);
    expect(ids(s.events({ event: 'A' }))).toEqual(['A:u1', 'A:u2']);
    expect(ids(s.events({ distinctId: 'u1' }))).toEqual(['A:u1', 'B:u1']);
    expect(ids(s.events({ token: 'U' }))).toEqual(['A:u2']);
    expect(ids(s.events({ properties: { tags: { a: 1 } } }))).toEqual(['A:u1']);
    expect(ids(s.events({ event: 'A', where: (e) => e.token === 'T' }))).toEqual(['A:u1']);
    expect(ids(s.events((e) => e.properties.plan === 'free'))).toEqual(['B:u1']);
  });

  it('throws on a filter key it does not know, instead of matching every event', async () => {
    const s = await start();
    await post(s.url, '/track', trackBody('Signed Up', 'someone-else'));
    const valid = '(valid: event, distinctId, token, properties, where)';
    // The wire's snake_case name, and a plausible guess for `event`.
    expect(() => s.events({ distinct_id: 'user-1' } as never)).toThrow(
      new TypeError(`event filter: unknown key "distinct_id" ${valid}`),
    );
    expect(() => s.events({ event: 'Signed Up', name: 'x' } as never)).toThrow(
      new TypeError(`event filter: unknown key "name" ${valid}`),
    );
    expect(() => s.events(null as never)).toThrow(
      new TypeError(
        'event filter must be an object such as { event, distinctId } or a function, got null',
      ),
    );
    // Known keys left undefined are no filter, as the events page sends them.
    expect(s.events({ event: undefined, distinctId: undefined })).toHaveLength(1);
  });

  it('hands out frozen events that a test cannot alter', async () => {
    const s = await start();
    await post(s.url, '/track', trackBody('A', 'u1', { plan: 'pro' }));
    const [event] = s.events();
    expect(() => {
      (event as { properties: Record<string, unknown> }).properties.plan = 'free';
    }).toThrow(TypeError);
    expect(s.events()[0]?.properties.plan).toBe('pro');
  });

  it('reset() forgets data, the log and fault scripts, and the server keeps serving', async () => {
    const s = await start();
    await post(s.url, '/track', trackBody('A', 'u1', { $insert_id: 'same' }));
    await post(s.url, '/engage', { token: 'T', distinct_id: 'u1', $set: { a: 1 } });
    await post(s.url, '/alias', { alias: 'n', distinct_id: 'u1', token: 'T' });
    s.faults.next('/track', { status: 500 });
    s.reset();
    expect([s.events(), s.profiles(), s.aliases(), s.requests()]).toEqual([[], [], [], []]);
    expect(s.faults.pending()).toBe(0);
    // The insert id is forgotten too: the same event is stored again.
    expect((await post(s.url, '/track', trackBody('A', 'n', { $insert_id: 'same' }))).status).toBe(
      200,
    );
    expect(s.events({ distinctId: 'u1' })).toEqual([]);
    expect(s.events()).toHaveLength(1);
  });

  it('starts with initialEvents, which count for deduplication', async () => {
    const first = await start();
    await post(first.url, '/track', trackBody('A', 'u1', { $insert_id: 'one' }));
    const saved = first.events();
    await first.close();
    const s = await start({ initialEvents: saved });
    await post(s.url, '/track', [
      trackBody('A', 'u1', { $insert_id: 'one' }),
      trackBody('B', 'u1', { $insert_id: 'two' }),
    ]);
    expect(s.events().map((e) => e.insertId)).toEqual(['one', 'two']);
  });
});

describe('onEvent', () => {
  it('tells each listener about newly stored events until it unsubscribes', async () => {
    const s = await start();
    const seen: string[] = [];
    const unsubscribe = s.onEvent((event) => seen.push(event.event));
    await post(s.url, '/track', [trackBody('A', 'u1'), trackBody('A', 'u1'), trackBody('B', 'u1')]);
    unsubscribe();
    await post(s.url, '/track', trackBody('C', 'u1'));
    // The duplicate A was not stored, so not reported.
    expect(seen).toEqual(['A', 'B']);
    expect(s.events()).toHaveLength(3);
  });
});

describe('close', () => {
  it('closes keep-alive connections, is idempotent, and refuses connections afterwards', async () => {
    const s = await start();
    await post(s.url, '/track', trackBody('A', 'u1'));
    await Promise.all([s.close(), s.close()]);
    await s.close();
    await expect(fetch(`${s.url}/track`, { method: 'POST', body: '{}' })).rejects.toThrow();
  });
});
