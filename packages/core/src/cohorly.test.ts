import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type HttpFixture, startFixture } from '../test/http-fixture.js';
import { BufferedConsumer } from './buffered-consumer.js';
import { Cohorly } from './cohorly.js';
import { Consumer } from './consumer.js';
import { LIB_VERSION } from './version.js';

const INSERT_ID = /^[0-9a-f]{32}$/;

let server: HttpFixture;
beforeEach(async () => {
  server = await startFixture();
});
afterEach(async () => {
  await server.close();
});

/** Replaces the two stamped values that change on every call, so bodies compare exactly. */
function stable(body: string): string {
  return body
    .replace(/"time":\d{13}/, '"time":<ms>')
    .replace(/"\$insert_id":"[0-9a-f]{32}"/, '"$insert_id":"<id>"');
}

describe('Cohorly with the synchronous Consumer', () => {
  it('sends track as one compact object with the default properties first', async () => {
    const client = new Cohorly('T', { apiHost: server.url });
    const before = Date.now();
    await client.track('u1', 'Signed Up', { plan: 'pro' });
    const [request] = server.requests;
    expect(request?.path).toBe('/track');
    expect(request?.contentType).toBe('application/json');
    expect(stable(request!.body)).toBe(
      `{"event":"Signed Up","properties":{"token":"T","distinct_id":"u1","time":<ms>,"$insert_id":"<id>","$lib":"node","$lib_version":"${LIB_VERSION}","plan":"pro"}}`,
    );
    const sent = JSON.parse(request!.body);
    expect(sent.properties.time).toBeGreaterThanOrEqual(before);
    expect(Number.isInteger(sent.properties.time)).toBe(true);
    expect(sent.properties.$insert_id).toMatch(INSERT_ID);
  });

  it('gives every event its own $insert_id', async () => {
    const client = new Cohorly('T', { apiHost: server.url });
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.track('u1', `E${i}`)));
    const ids = server.json('/track').map((e: any) => e.properties.$insert_id);
    expect(new Set(ids).size).toBe(20);
  });

  it('lets properties override time and $insert_id in place, and merges meta at the top level', async () => {
    const client = new Cohorly('T', { apiHost: server.url });
    await client.track('u1', 'E', { $insert_id: 'custom', time: 5, a: 1 }, { ip: '1.2.3.4' });
    expect(server.requests[0]?.body).toBe(
      `{"event":"E","properties":{"token":"T","distinct_id":"u1","time":5,"$insert_id":"custom","$lib":"node","$lib_version":"${LIB_VERSION}","a":1},"ip":"1.2.3.4"}`,
    );
  });

  it('keeps the stamped value of a key the caller gives as undefined', async () => {
    const client = new Cohorly('T', { apiHost: server.url });
    const given: { time?: number; $insert_id?: string } = {};
    await client.track('u1', 'E', { time: given.time, $insert_id: given.$insert_id, a: 1 });
    expect(stable(server.requests[0]!.body)).toBe(
      `{"event":"E","properties":{"token":"T","distinct_id":"u1","time":<ms>,"$insert_id":"<id>","$lib":"node","$lib_version":"${LIB_VERSION}","a":1}}`,
    );
  });

  it('sends importData with the given millisecond time, over the caller’s own', async () => {
    const client = new Cohorly('T', { apiHost: server.url });
    await client.importData('u1', 'Old', 1700000000123, { time: 1, x: true });
    expect(stable(server.requests[0]!.body.replace('"time":1700000000123', '"time":T'))).toBe(
      `{"event":"Old","properties":{"token":"T","distinct_id":"u1","time":T,"$insert_id":"<id>","$lib":"node","$lib_version":"${LIB_VERSION}","x":true}}`,
    );
  });

  it('sends alias as one object to /alias', async () => {
    const client = new Cohorly('T', { apiHost: server.url });
    await client.alias('new-id', 'original-id');
    expect(server.requests[0]).toMatchObject({
      path: '/alias',
      body: '{"alias":"new-id","distinct_id":"original-id","token":"T"}',
    });
  });

  it('sends every people operation to /engage with token first and meta last', async () => {
    const client = new Cohorly('T', { apiHost: server.url });
    await client.peopleSet('u1', { name: 'Ada' }, { $ip: '0' });
    await client.peopleSetOnce('u1', { first: 'x' });
    await client.peopleIncrement('u1', { logins: 1 });
    await client.peopleUnset('u1', ['a', 'b']);
    await client.peopleDelete('u1');
    await client.peopleUpdate({ distinct_id: 'u1', $set: { tags: ['x'] } }, { $ignore_time: true });
    expect(server.requests.map((r) => [r.path, r.body])).toEqual([
      ['/engage', '{"token":"T","distinct_id":"u1","$set":{"name":"Ada"},"$ip":"0"}'],
      ['/engage', '{"token":"T","distinct_id":"u1","$set_once":{"first":"x"}}'],
      ['/engage', '{"token":"T","distinct_id":"u1","$add":{"logins":1}}'],
      ['/engage', '{"token":"T","distinct_id":"u1","$unset":["a","b"]}'],
      ['/engage', '{"token":"T","distinct_id":"u1","$delete":true}'],
      ['/engage', '{"token":"T","distinct_id":"u1","$set":{"tags":["x"]},"$ignore_time":true}'],
    ]);
  });

  it('serializes Dates as ISO-8601 and escapes non-ASCII as the Python SDK does', async () => {
    const client = new Cohorly('T', { apiHost: server.url });
    await client.track('u1', 'E', {
      at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
      name: 'Zoë 😀\u007f',
    });
    const body = server.requests[0]!.body;
    expect(body).toContain('"at":"2026-01-02T03:04:05.006Z"');
    expect(body).toContain('"name":"Zo\\u00eb \\ud83d\\ude00\\u007f"');
    expect(JSON.parse(body).properties.name).toBe('Zoë 😀\u007f');
  });

  it('uses a custom serializer, e.g. for BigInt', async () => {
    const client = new Cohorly('T', {
      apiHost: server.url,
      serializer: (m) => JSON.stringify(m, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    });
    await client.track('u1', 'E', { big: 12345678901234567890n as unknown as number });
    expect(server.json('/track')[0]).toMatchObject({ properties: { big: '12345678901234567890' } });
  });

  it('rejects with the server status when delivery fails', async () => {
    server.always({ status: 400, body: '{"error":"bad"}' });
    const client = new Cohorly('T', { apiHost: server.url });
    await expect(client.track('u1', 'E')).rejects.toMatchObject({
      name: 'CohorlyError',
      status: 400,
      retryable: false,
      code: 'rejected',
    });
  });

  it('close() reports, even for a consumer without close()', async () => {
    const client = new Cohorly('T', {
      consumer: { send: async () => undefined, flush: async () => true },
    });
    await expect(client.close()).resolves.toMatchObject({ drained: true, undelivered: 0 });
  });

  it('close() gives up on a consumer without close() whose flush never settles, at timeoutMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const client = new Cohorly('T', {
        consumer: { send: async () => undefined, flush: () => new Promise<boolean>(() => {}) },
      });
      const closing = client.close({ timeoutMs: 3000 });
      await vi.advanceTimersByTimeAsync(3000);
      await expect(closing).resolves.toMatchObject({ drained: false });
      await expect(client.close({ timeoutMs: -5 })).rejects.toThrow(
        /Cohorly\.close: timeoutMs must be a number of milliseconds from 0 to 2147483647, got -5/,
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it('drain() flushes a consumer without drain() once, and reports what its flush said', async () => {
    let flushes = 0;
    let result = false;
    const client = new Cohorly('T', {
      consumer: {
        send: async () => undefined,
        flush: async () => {
          flushes += 1;
          return result;
        },
      },
    });
    await expect(client.drain()).resolves.toEqual({ drained: false, undelivered: 0 });
    result = true;
    await expect(client.drain()).resolves.toEqual({ drained: true, undelivered: 0 });
    expect(flushes).toBe(2);
  });

  it('drain() gives up on a consumer whose flush never settles, at timeoutMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const client = new Cohorly('T', {
        consumer: { send: async () => undefined, flush: () => new Promise<boolean>(() => {}) },
      });
      const draining = client.drain({ timeoutMs: 3000 });
      await vi.advanceTimersByTimeAsync(3000);
      await expect(draining).resolves.toEqual({ drained: false, undelivered: 0 });
      expect(() => client.drain({ timeoutMs: -1 })).toThrow(
        /Cohorly\.drain: timeoutMs must be a number of milliseconds from 0 to 2147483647, got -1/,
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it('drain() with the synchronous Consumer reports it has nothing left', async () => {
    const client = new Cohorly('T', { apiHost: server.url });
    await client.track('u1', 'E');
    await expect(client.drain()).resolves.toEqual({ drained: true, undelivered: 0 });
    expect(server.json('/track')).toHaveLength(1);
  });
});

describe('bad input', () => {
  const cases: Array<[string, (c: Cohorly) => unknown, RegExp]> = [
    [
      'an empty event name',
      (c) => c.track('u1', ''),
      /Cohorly\.track: event must be a non-empty string/,
    ],
    [
      'an empty distinctId',
      (c) => c.track('', 'E'),
      /Cohorly\.track: distinctId must be a non-empty string/,
    ],
    [
      'a non-string distinctId',
      (c) => c.track(42 as unknown as string, 'E'),
      /distinctId must be a non-empty string, got 42/,
    ],
    [
      'array properties',
      (c) => c.track('u1', 'E', [] as never),
      /properties must be a plain object, got an array/,
    ],
    [
      'a BigInt',
      (c) => c.track('u1', 'E', { n: 1n as never }),
      /Cohorly\.track: properties\.n is a BigInt, which cannot be serialized to JSON/,
    ],
    [
      'a circular reference',
      (c) => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return c.track('u1', 'E', { o } as never);
      },
      /properties\.o\.self is a circular reference/,
    ],
    [
      'a throwing toJSON',
      (c) =>
        c.track('u1', 'E', {
          d: {
            toJSON() {
              throw new Error('x');
            },
          },
        } as never),
      /properties\.d\.toJSON\(\) throws/,
    ],
    [
      'a non-finite importData time',
      (c) => c.importData('u1', 'E', Number.NaN),
      /timestampMs must be a finite number/,
    ],
    [
      'an empty alias',
      (c) => c.alias('', 'u1'),
      /Cohorly\.alias: aliasId must be a non-empty string/,
    ],
    [
      'a non-numeric increment',
      (c) => c.peopleIncrement('u1', { n: 'x' as never }),
      /properties\.n must be a finite number/,
    ],
    // Strings quoted, so that "5" is not read as the number 5 it was not.
    [
      'a numeric string as an increment',
      (c) => c.peopleIncrement('u1', { a: '5' as never }),
      /^Cohorly\.peopleIncrement: properties\.a must be a finite number, got "5"$/,
    ],
    [
      "a property name given as the properties (mixpanel-node's people.set(id, prop, value))",
      (c) => c.peopleSet('u1', 'plan' as never, 'pro' as never),
      /^Cohorly\.peopleSet: properties must be a plain object, got "plan"$/,
    ],
    [
      'a numeric string as the importData time',
      (c) => c.importData('u1', 'E', '1700000000000' as never),
      /^Cohorly\.importData: timestampMs must be a finite number of epoch milliseconds, got "1700000000000"$/,
    ],
    [
      'non-string unset names',
      (c) => c.peopleUnset('u1', [1] as never),
      /propertyNames must be an array of strings/,
    ],
    [
      'peopleUpdate without distinct_id',
      (c) => c.peopleUpdate({ $set: {} }),
      /message\.distinct_id must be a non-empty string/,
    ],
    [
      'a BigInt distinct id',
      (c) => c.track(10n as never, 'E'),
      /^Cohorly\.track: distinctId must be a non-empty string, got 10n$/,
    ],
    [
      'a circular alias id',
      (c) => {
        const circular: Record<string, unknown> = {};
        circular.self = circular;
        return c.alias(circular as never, 'u1');
      },
      /^Cohorly\.alias: aliasId must be a non-empty string, got \[object Object\]$/,
    ],
    // What the server would reject, which would take the rest of the batch with it.
    [
      'a Date as properties.time',
      // Plain JavaScript: the type refuses it.
      (c) => c.track('u1', 'E', { time: new Date(0) as unknown as number }),
      /Cohorly\.track: properties\.time must be a finite number of epoch milliseconds, got "1970-01-01T00:00:00\.000Z"/,
    ],
    [
      'NaN as properties.time',
      (c) => c.track('u1', 'E', { time: Number.NaN }),
      /Cohorly\.track: properties\.time must be a finite number of epoch milliseconds, got NaN/,
    ],
    [
      'an empty $insert_id',
      (c) => c.track('u1', 'E', { $insert_id: '' }),
      /Cohorly\.track: properties\.\$insert_id must be a non-empty string, got ""/,
    ],
    [
      'a null distinct_id in properties',
      (c) => c.track('u1', 'E', { distinct_id: null }),
      /Cohorly\.track: properties\.distinct_id must be a non-empty string, got null/,
    ],
    [
      'a meta that replaces the properties',
      (c) => c.track('u1', 'E', {}, { properties: 'x' }),
      /Cohorly\.track: meta\.properties would replace the event's properties/,
    ],
    [
      // Valid, but without the user, time and $insert_id stamped on the properties.
      'a meta that replaces the properties with valid ones',
      (c) => c.track('u1', 'E', {}, { properties: { token: 'T', distinct_id: 'someone-else' } }),
      /Cohorly\.track: meta\.properties would replace the event's properties/,
    ],
    [
      'a meta that replaces the event name',
      (c) => c.importData('u1', 'E', 1, {}, { event: 'Other Event' }),
      /^Cohorly\.importData: meta\.event would replace the event name; pass the name as the event$/,
    ],
    [
      'a "token" meta key of an event',
      (c) => c.track('u1', 'E', {}, { token: 'reset-abc123' }),
      /^Cohorly\.track: meta\.token must be this client's project token/,
    ],
    [
      'peopleUpdate with two operations',
      (c) => c.peopleUpdate({ distinct_id: 'u1', $set: { a: 1 }, $add: { n: 1 } }),
      /Cohorly\.peopleUpdate: a profile operation must have exactly one of \$set, \$set_once, \$add, \$unset, \$delete; found \$set, \$add/,
    ],
    [
      'peopleUpdate with no operation',
      (c) => c.peopleUpdate({ distinct_id: 'u1', plan: 'pro' }),
      /exactly one of .*; found none/,
    ],
    [
      'peopleUpdate adding a string',
      (c) => c.peopleUpdate({ distinct_id: 'u1', $add: { n: 'x' } }),
      /Cohorly\.peopleUpdate: \$add\.n must be a finite number, got "x"/,
    ],
    [
      'a meta that adds a second operation',
      (c) => c.peopleSet('u1', { a: 1 }, { $delete: true }),
      /Cohorly\.peopleSet: .*found \$set, \$delete/,
    ],
    // A token of the caller's: a 401 for the whole batch (which holds the queue), or the
    // message stored in another project.
    [
      'a "token" property',
      (c) => c.track('u1', 'Password Reset', { token: 'reset-abc123' }),
      /^Cohorly\.track: properties\.token must be this client's project token: a "token" property or meta key replaces it, and the server would refuse the whole batch \(401\)/,
    ],
    [
      'a "token" meta key of a profile operation',
      (c) => c.peopleSet('u1', { a: 1 }, { token: 'other-project' }),
      /^Cohorly\.peopleSet: token must be this client's project token/,
    ],
    [
      'peopleUpdate with another token',
      (c) => c.peopleUpdate({ distinct_id: 'u1', token: 'other-project', $set: { a: 1 } }),
      /^Cohorly\.peopleUpdate: token must be this client's project token/,
    ],
    // What JSON writes is what the server sees: a toJSON() that writes something else.
    [
      'a toJSON function among the properties',
      (c) => c.track('u1', 'E', { toJSON: () => 'x' } as never),
      /Cohorly\.track: properties\.toJSON must not be a function/,
    ],
    [
      'a toJSON function in meta',
      (c) => c.peopleSet('u1', { a: 1 }, { toJSON: () => 'x' } as never),
      /Cohorly\.peopleSet: meta\.toJSON must not be a function/,
    ],
    [
      'a $set whose toJSON() writes a string',
      (c) => c.peopleSet('u1', new Money(1250) as never),
      /Cohorly\.peopleSet: \$set must be a plain object, got "12\.50 EUR"/,
    ],
  ];

  it('never shows the token a caller put over the project token', () => {
    const client = new Cohorly('T', { apiHost: server.url });
    expect(() => client.track('u1', 'Password Reset', { token: 'reset-abc123' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('reset-abc123') }),
    );
  });

  it("sends a token property equal to the client's, and a $set of a model's toJSON() object", async () => {
    const consumer = new BufferedConsumer({ apiHost: server.url, flushIntervalMs: 0 });
    const client = new Cohorly('T', { consumer });
    await client.track('u1', 'E', { token: 'T' });
    await client.peopleSet('u1', new Account('pro') as never);
    await expect(consumer.flush()).resolves.toBe(true);
    expect(server.json('/track').flat()).toMatchObject([{ properties: { token: 'T' } }]);
    expect(server.json('/engage').flat()).toEqual([
      { token: 'T', distinct_id: 'u1', $set: { plan: 'pro' } },
    ]);
  });

  it.each(cases)(
    'throws a TypeError naming %s, sends nothing, and loses nothing else',
    async (_name, call, message) => {
      const consumer = new BufferedConsumer({ apiHost: server.url, flushIntervalMs: 0 });
      const client = new Cohorly('T', { consumer });
      await client.track('u1', 'Before');
      expect(() => call(client)).toThrow(TypeError);
      expect(() => call(client)).toThrow(message);
      await client.track('u1', 'After');
      await expect(consumer.flush()).resolves.toBe(true);
      expect(
        server
          .json('/track')
          .flat()
          .map((e: any) => e.event),
      ).toEqual(['Before', 'After']);
      expect(server.json('/engage')).toEqual([]);
    },
  );

  it('rejects a missing token and an invalid apiHost at construction', () => {
    expect(() => new Cohorly('')).toThrow(/token must be a non-empty string/);
    for (const apiHost of ['not a url', 'localhost:4000', 'ftp://127.0.0.1:4000']) {
      expect(() => new Cohorly('T', { apiHost })).toThrow(
        `Cohorly: apiHost must be an absolute http:// or https:// URL, got ${JSON.stringify(apiHost)}`,
      );
    }
    expect(() => new BufferedConsumer({ apiHost: 'localhost:4000' })).toThrow(
      /BufferedConsumer: apiHost must be an absolute http:\/\/ or https:\/\/ URL/,
    );
    expect(() => new Consumer({ retryLimit: -1 })).toThrow(/retryLimit must be an integer >= 0/);
  });

  it('rejects at construction an option it does not know, naming it, the one meant and every option', async () => {
    // Options shared with posthog-node or @segment/analytics-node, from a config file: before,
    // each was ignored, and every event went to http://localhost:4000 in batches of 50.
    const config: Record<string, unknown> = { host: server.url, flushAt: 1, flushInterval: 100 };
    expect(() => new Cohorly('T', config)).toThrow(
      new TypeError(
        'Cohorly: host is not an option (did you mean apiHost?); ' +
          "flushAt is not an option (did you mean BufferedConsumer's maxSize? pass { consumer: new BufferedConsumer({ maxSize }) }); " +
          "flushInterval is not an option (did you mean BufferedConsumer's flushIntervalMs? pass { consumer: new BufferedConsumer({ flushIntervalMs }) }); " +
          'the options are apiHost, consumer, serializer',
      ),
    );
    expect(() => new Cohorly('T', { api_host: server.url } as never)).toThrow(
      'Cohorly: api_host is not an option (did you mean apiHost?); the options are apiHost, consumer, serializer',
    );
    expect(() => new Cohorly('T', { apiHost: server.url, retryLimit: 1 } as never)).toThrow(
      "Cohorly: retryLimit is not an option (did you mean Consumer's retryLimit? pass { consumer: new Consumer({ retryLimit }) }); the options are apiHost, consumer, serializer",
    );
    // An option both consumers take goes to Consumer, the default, which sends at once: with a
    // BufferedConsumer, a one-shot script would exit with its events still queued.
    expect(() => new Cohorly('T', { fetch: globalThis.fetch } as never)).toThrow(
      "Cohorly: fetch is not an option (did you mean Consumer's fetch? pass { consumer: new Consumer({ fetch }) }); the options are apiHost, consumer, serializer",
    );
    // Given even as undefined: the key is still a mistake.
    expect(() => new Cohorly('T', { host: undefined } as never)).toThrow(
      /^Cohorly: host is not an option \(did you mean apiHost\?\)/,
    );
    expect(() => new Cohorly('T', server.url as never)).toThrow(
      new TypeError(`Cohorly: options must be an object, got ${JSON.stringify(server.url)}`),
    );
    expect(server.requests).toEqual([]);
  });

  it("says there is no off switch when given posthog's or Segment's, and points to the recorder", () => {
    for (const key of ['disabled', 'disable', 'enabled']) {
      expect(() => new Cohorly('T', { apiHost: server.url, [key]: key !== 'enabled' })).toThrow(
        `Cohorly: ${key} is not an option (there is no off switch: in tests, pass createRecorder() from @cohorly/testing as the consumer); the options are apiHost, consumer, serializer`,
      );
    }
  });

  it('takes its known options given as undefined, and checks only own enumerable keys', async () => {
    const defaults = Object.create({ host: 'http://elsewhere.invalid' }) as Record<string, unknown>;
    Object.defineProperty(defaults, 'disabled', { value: true, enumerable: false });
    defaults.apiHost = server.url;
    defaults.consumer = undefined;
    defaults.serializer = undefined;
    const client = new Cohorly('T', defaults);
    await client.track('u1', 'Signed Up');
    expect(server.json('/track')).toMatchObject([{ event: 'Signed Up' }]);
  });

  it('rejects a token with surrounding white space, never showing it', () => {
    for (const token of ['proj-token\n', ' proj-token']) {
      expect(() => new Cohorly(token)).toThrow(
        'Cohorly: token must not start or end with white space (a newline from a secret file?); trim it',
      );
    }
  });

  it('rejects an apiHost that /track cannot be appended to, at construction', () => {
    for (const apiHost of ['http://127.0.0.1:4000?region=eu', 'http://127.0.0.1:4000/#x']) {
      expect(() => new BufferedConsumer({ apiHost })).toThrow(
        `BufferedConsumer: apiHost must be a base URL without a query or fragment (Cohorly appends /track to it), got ${JSON.stringify(apiHost)}`,
      );
    }
    expect(() => new Cohorly('T', { apiHost: 'http://ingest:s3cret@127.0.0.1:4000' })).toThrow(
      'Cohorly: apiHost must not contain a user name or password (fetch refuses such URLs); got one for 127.0.0.1:4000',
    );
  });

  it('sends to an apiHost given with surrounding white space and a trailing slash', async () => {
    // As read from an env file: before, every send failed (a network error, retried for ever,
    // or a POST to /%20/track whose 404 dropped the batch).
    for (const apiHost of [` ${server.url}\n`, `${server.url}/ `]) {
      const client = new Cohorly('T', { apiHost });
      await client.track('u1', 'Signed Up');
    }
    expect(server.requests.map((request) => request.path)).toEqual(['/track', '/track']);
  });

  it('rejects, naming the option, a millisecond option past what a timer can wait', async () => {
    // A timer asked for 2^31 ms or more fires after 1 ms: such a requestTimeoutMs aborted every
    // request, and such a close() deadline gave up at once.
    const range = 'must be a number of milliseconds from';
    expect(() => new BufferedConsumer({ requestTimeoutMs: 2 ** 31 })).toThrow(
      `BufferedConsumer: requestTimeoutMs ${range} 1 to 2147483647, got 2147483648`,
    );
    expect(() => new Consumer({ requestTimeoutMs: 0 })).toThrow(
      `Consumer: requestTimeoutMs ${range} 1 to 2147483647, got 0`,
    );
    expect(() => new BufferedConsumer({ flushIntervalMs: 2 ** 32 })).toThrow(
      `BufferedConsumer: flushIntervalMs ${range} 0 to 2147483647, got 4294967296`,
    );
    const client = new Cohorly('T', { apiHost: server.url });
    await expect(client.close({ timeoutMs: Number.MAX_SAFE_INTEGER })).rejects.toThrow(
      `Consumer.close: timeoutMs ${range} 0 to 2147483647, got 9007199254740991`,
    );
    await client.close();
  });

  it('rejects a queue cap that is not a whole number of messages, naming it', () => {
    for (const [maxQueueSize, shown] of [
      [0, '0'],
      [-1, '-1'],
      [0.5, '0.5'],
      ['5000', '"5000"'],
    ] as const) {
      expect(() => new BufferedConsumer({ maxQueueSize: maxQueueSize as number })).toThrow(
        `BufferedConsumer: maxQueueSize must be an integer >= 1, got ${shown}`,
      );
    }
    expect(() => new BufferedConsumer({ requestTimeoutMs: '5000' as never })).toThrow(
      'BufferedConsumer: requestTimeoutMs must be a number of milliseconds from 1 to 2147483647, got "5000"',
    );
  });

  it('sends batches of maxQueueSize when the queue cap is below maxSize, dropping nothing', async () => {
    // A buffer capped below maxSize never filled a batch: only a flush sent it, and every
    // message past the cap was dropped meanwhile.
    const consumer = new BufferedConsumer({ apiHost: server.url, maxQueueSize: 10 });
    const client = new Cohorly('T', { consumer });
    for (let i = 0; i < 100; i += 1) await client.track('u1', 'Row Imported', { i });
    await expect(client.close()).resolves.toMatchObject({
      drained: true,
      sent: 100,
      dropped: { overflow: 0 },
    });
    const batches = server.json('/track');
    expect(batches.flat().map((event: any) => event.properties.i)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    expect((batches as unknown[][]).every((batch) => batch.length <= 10)).toBe(true);
  });

  it('delivers with the longest request timeout and close() deadline a timer can wait', async () => {
    const consumer = new BufferedConsumer({ apiHost: server.url, requestTimeoutMs: 2 ** 31 - 1 });
    const client = new Cohorly('T', { consumer });
    client.track('user-1', 'Signed Up');
    await expect(client.close({ timeoutMs: 2 ** 31 - 1 })).resolves.toMatchObject({
      drained: true,
      sent: 1,
    });
    expect(server.json('/track').flat()).toMatchObject([{ event: 'Signed Up' }]);
  });
});

/** A value object whose JSON is a string, as money and decimal types often write. */
class Money {
  constructor(private readonly cents: number) {}
  toJSON(): string {
    return `${(this.cents / 100).toFixed(2)} EUR`;
  }
}

/** A model whose JSON is an object of its fields, as ORM records write. */
class Account {
  constructor(private readonly plan: string) {}
  toJSON(): Record<string, string> {
    return { plan: this.plan };
  }
}
