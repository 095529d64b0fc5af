import { describe, expect, it } from 'vitest';
import { useTestServers } from '../test/use-test-servers.js';
import { post, trackBody } from './http-test-helpers.js';

const start = useTestServers();

describe('POST /track', () => {
  it('stores one event, without its token, and answers {"status":1}', async () => {
    const s = await start();
    const answer = await post(s.url, '/track', trackBody('Signed Up', 'u1', { plan: 'pro' }));
    expect(answer).toMatchObject({ status: 200, body: { status: 1 } });
    const [event] = s.events();
    expect(event).toMatchObject({
      event: 'Signed Up',
      distinctId: 'u1',
      token: 'T',
      properties: { distinct_id: 'u1', plan: 'pro', $lib: 'node' },
      meta: {},
    });
    expect(event?.properties).not.toHaveProperty('token');
    expect(s.events()).toHaveLength(1);
  });

  it('stores every event of an array of up to 500', async () => {
    const s = await start();
    const batch = Array.from({ length: 500 }, (_, i) => trackBody('Step', `u${i}`));
    expect((await post(s.url, '/track', batch)).status).toBe(200);
    expect(s.events()).toHaveLength(500);
    expect(s.events().map((e) => e.distinctId)).toEqual(batch.map((_, i) => `u${i}`));
  });

  it('answers 413 to an array of 501 and stores none of it', async () => {
    const s = await start();
    const batch = Array.from({ length: 501 }, (_, i) => trackBody('Step', `u${i}`));
    const answer = await post(s.url, '/track', batch);
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ error: 'batch of 501 items is over the limit of 500' });
    expect(s.events()).toEqual([]);
  });

  it('keeps top-level meta keys apart from the properties', async () => {
    const s = await start();
    await post(s.url, '/track', { ...trackBody('A', 'u1'), $source: 'import' });
    expect(s.events()[0]?.meta).toEqual({ $source: 'import' });
  });

  it('answers 400 naming the problem and the index of the bad item', async () => {
    const s = await start();
    const cases: [unknown, string, number][] = [
      [[trackBody('A', 'u1'), 'nope'], 'an event must be a JSON object', 1],
      [{ properties: { token: 'T', distinct_id: 'u' } }, 'event must be a non-empty string', 0],
      [{ event: 'A', properties: [] }, 'properties must be a JSON object', 0],
      [
        { event: 'A', properties: { token: 'T' } },
        'properties.distinct_id must be a non-empty string',
        0,
      ],
      [
        trackBody('A', 'u', { time: '2025-01-01' }),
        'properties.time must be a number (unix milliseconds)',
        0,
      ],
      [
        trackBody('A', 'u', { $insert_id: 42 }),
        'properties.$insert_id must be a non-empty string',
        0,
      ],
    ];
    for (const [body, error, index] of cases) {
      const answer = await post(s.url, '/track', body);
      expect(answer, JSON.stringify(body)).toEqual({
        status: 400,
        headers: answer.headers,
        body: { error, index },
      });
    }
    expect(s.events()).toEqual([]);
  });

  it('answers 400 to invalid JSON, an empty array, and a body that is not JSON-typed', async () => {
    const s = await start();
    const invalid = await post(s.url, '/track', '{"event":');
    expect(invalid.status).toBe(400);
    expect((invalid.body as { error: string }).error).toMatch(/^invalid JSON/);
    expect(await post(s.url, '/track', [])).toMatchObject({
      status: 400,
      body: { error: 'empty batch: send at least one item' },
    });
    const form = await post(s.url, '/track', JSON.stringify(trackBody('A', 'u1')), {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(400);
    expect((form.body as { error: string }).error).toMatch(
      /Content-Type must be application\/json/,
    );
    expect(s.events()).toEqual([]);
  });

  it('accepts a charset parameter on the content type', async () => {
    const s = await start();
    const answer = await post(s.url, '/track', JSON.stringify(trackBody('A', 'u1')), {
      'Content-Type': 'application/json; charset=utf-8',
    });
    expect(answer.status).toBe(200);
    expect(s.events()).toHaveLength(1);
  });

  it('rejects a whole batch when one item is invalid (atomic)', async () => {
    const s = await start();
    const batch = [
      trackBody('A', 'u1'),
      trackBody('B', 'u2'),
      { event: 'C', properties: { token: 'T' } },
    ];
    const answer = await post(s.url, '/track', batch);
    expect(answer).toMatchObject({ status: 400, body: { index: 2 } });
    expect(s.events()).toEqual([]);
    // The same batch, repaired, is then stored whole.
    batch[2] = trackBody('C', 'u3');
    expect((await post(s.url, '/track', batch)).status).toBe(200);
    expect(s.events().map((e) => e.event)).toEqual(['A', 'B', 'C']);
  });

  it('deduplicates by token and $insert_id, still answering 200', async () => {
    const s = await start();
    const event = trackBody('Paid', 'u1', { $insert_id: 'order-42' });
    expect((await post(s.url, '/track', event)).status).toBe(200);
    expect((await post(s.url, '/track', [event, event])).status).toBe(200);
    expect(s.events()).toHaveLength(1);
    // Another project may use the same insert id.
    await post(s.url, '/track', trackBody('Paid', 'u1', { $insert_id: 'order-42' }, 'OTHER'));
    expect(s.events().map((e) => e.token)).toEqual(['T', 'OTHER']);
  });

  it('stores every event without $insert_id (nothing to deduplicate by)', async () => {
    const s = await start();
    const event = { event: 'Ping', properties: { token: 'T', distinct_id: 'u1' } };
    await post(s.url, '/track', [event, event]);
    expect(s.events()).toHaveLength(2);
    expect(s.events()[0]?.insertId).toBeUndefined();
  });
});

describe('token allow-list', () => {
  it('answers 401 to an unknown token, naming the item, and stores nothing', async () => {
    const s = await start({ tokens: ['good'] });
    const batch = [trackBody('A', 'u1', {}, 'good'), trackBody('B', 'u1', {}, 'bad')];
    expect(await post(s.url, '/track', batch)).toMatchObject({
      status: 401,
      body: { error: 'unknown project token', index: 1 },
    });
    const people = { token: 'bad', distinct_id: 'u1', $set: { a: 1 } };
    expect((await post(s.url, '/engage', people)).status).toBe(401);
    const alias = { alias: 'n', distinct_id: 'o', token: 'bad' };
    expect((await post(s.url, '/alias', alias)).status).toBe(401);
    expect(s.events()).toEqual([]);
    expect(s.profiles()).toEqual([]);
    expect(s.aliases()).toEqual([]);
    expect((await post(s.url, '/track', batch.slice(0, 1))).status).toBe(200);
  });

  it('answers 401 to a missing or empty token, as to an unknown one (contract §1)', async () => {
    for (const tokens of [undefined, ['good']]) {
      const s = await start({ tokens });
      const missing = [
        ['/track', { event: 'A', properties: { distinct_id: 'u' } }, 'properties.token is missing'],
        ['/engage', { distinct_id: 'u1', $set: {} }, 'token is missing'],
        ['/engage', { token: '', distinct_id: 'u1', $set: {} }, 'token is missing'],
        ['/alias', { alias: 'n', distinct_id: 'o' }, 'token is missing'],
      ] as const;
      for (const [path, body, error] of missing) {
        expect(await post(s.url, path, body)).toMatchObject({
          status: 401,
          body: { error, index: 0 },
        });
      }
      expect(s.events()).toEqual([]);
      expect(s.profiles()).toEqual([]);
    }
  });
});

describe('POST /engage', () => {
  it('applies $set, $set_once, $add, $unset and $delete to stored profiles', async () => {
    const s = await start();
    const op = (body: Record<string, unknown>, id = 'u1') =>
      post(s.url, '/engage', { token: 'T', distinct_id: id, ...body });
    expect((await op({ $set: { name: 'Ada', plan: 'free' } })).status).toBe(200);
    await op({ $set: { plan: 'pro' } });
    await op({ $set_once: { name: 'Bob', first_seen: '2025-01-01' } });
    await op({ $add: { logins: 1 } });
    await op({ $add: { logins: 2, credits: -5 } });
    await op({ $unset: ['first_seen', 'absent'] });
    expect(s.profiles()).toEqual([
      {
        token: 'T',
        distinctId: 'u1',
        properties: { name: 'Ada', plan: 'pro', logins: 3, credits: -5 },
        updatedAt: expect.any(Number),
      },
    ]);
    await op({ $set: { name: 'Eve' } }, 'u2');
    await op({ $delete: true });
    expect(s.profiles().map((p) => p.distinctId)).toEqual(['u2']);
  });

  it('applies an array of operations in order', async () => {
    const s = await start();
    const answer = await post(s.url, '/engage', [
      { token: 'T', distinct_id: 'u1', $set: { a: 1 } },
      { token: 'T', distinct_id: 'u1', $add: { a: 10 } },
    ]);
    expect(answer.status).toBe(200);
    expect(s.profiles()[0]?.properties).toEqual({ a: 11 });
  });

  it('does not create a profile for $unset alone', async () => {
    const s = await start();
    await post(s.url, '/engage', { token: 'T', distinct_id: 'u1', $unset: ['a'] });
    expect(s.profiles()).toEqual([]);
  });

  it('answers 400 to a malformed operation and applies none of the batch', async () => {
    const s = await start();
    const good = { token: 'T', distinct_id: 'u1', $set: { a: 1 } };
    const cases: [Record<string, unknown>, string][] = [
      [{ token: 'T', distinct_id: 'u1' }, 'found none'],
      [{ token: 'T', distinct_id: 'u1', $set: {}, $add: {} }, 'found $set, $add'],
      [{ token: 'T', $set: {} }, 'distinct_id must be a non-empty string'],
      [{ token: 'T', distinct_id: 'u1', $set: [] }, '$set must be a JSON object'],
      [{ token: 'T', distinct_id: 'u1', $set_once: 'x' }, '$set_once must be a JSON object'],
      [{ token: 'T', distinct_id: 'u1', $add: { n: '1' } }, '$add.n must be a number'],
      [{ token: 'T', distinct_id: 'u1', $unset: 'a' }, '$unset must be an array'],
      [{ token: 'T', distinct_id: 'u1', $delete: '' }, '$delete must be true'],
    ];
    for (const [bad, error] of cases) {
      const answer = await post(s.url, '/engage', [good, bad]);
      expect(answer.status, JSON.stringify(bad)).toBe(400);
      expect(answer.body).toMatchObject({ index: 1, error: expect.stringContaining(error) });
    }
    expect(s.profiles()).toEqual([]);
  });
});

describe('POST /alias', () => {
  it('records an alias and finds the alias id events under the original id', async () => {
    const s = await start();
    await post(s.url, '/track', [trackBody('Visit', 'anon-1'), trackBody('Visit', 'other')]);
    const answer = await post(s.url, '/alias', {
      alias: 'anon-1',
      distinct_id: 'user-1',
      token: 'T',
    });
    expect(answer).toMatchObject({ status: 200, body: { status: 1 } });
    await post(s.url, '/track', trackBody('Signed Up', 'user-1'));
    expect(s.aliases()).toEqual([
      { alias: 'anon-1', distinctId: 'user-1', token: 'T', receivedAt: expect.any(Number) },
    ]);
    const names = (id: string) =>
      s.events({ distinctId: id }).map((e) => `${e.event}:${e.distinctId}`);
    expect(names('user-1')).toEqual(['Visit:anon-1', 'Signed Up:user-1']);
    expect(names('anon-1')).toEqual(['Visit:anon-1', 'Signed Up:user-1']);
    expect(names('other')).toEqual(['Visit:other']);
  });

  it('follows chains of aliases, within one project only', async () => {
    const s = await start();
    await post(s.url, '/alias', { alias: 'b', distinct_id: 'a', token: 'T' });
    await post(s.url, '/alias', { alias: 'c', distinct_id: 'b', token: 'T' });
    await post(s.url, '/track', [trackBody('X', 'c'), trackBody('Y', 'c', {}, 'U')]);
    expect(s.events({ distinctId: 'a' }).map((e) => e.event)).toEqual(['X']);
  });

  it('answers 400 to an array, even of one alias', async () => {
    const s = await start();
    const answer = await post(s.url, '/alias', [{ alias: 'n', distinct_id: 'o', token: 'T' }]);
    expect(answer).toMatchObject({
      status: 400,
      body: { error: '/alias takes exactly one alias object, not an array' },
    });
    expect(s.aliases()).toEqual([]);
  });

  it('answers 400 to a missing field', async () => {
    const s = await start();
    for (const [body, error] of [
      [{ distinct_id: 'o', token: 'T' }, 'alias must be a non-empty string'],
      [{ alias: 'n', token: 'T' }, 'distinct_id must be a non-empty string'],
    ] as const) {
      expect(await post(s.url, '/alias', body)).toMatchObject({
        status: 400,
        body: { error, index: 0 },
      });
    }
  });
});
