import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HttpFixture, startFixture } from '../test/http-fixture.js';
import { BufferedConsumer } from './buffered-consumer.js';
import { Cohorly } from './cohorly.js';
import {
  EventFrame,
  eventJson,
  hasIndexKey,
  jsonSerializer,
  layeredJson,
  RawJson,
  serializeMessage,
} from './serialize.js';

const ID = '0123456789abcdef0123456789abcdef';

/** The general path: the merged message object through the default serializer. */
function general(
  token: string,
  event: string,
  distinctId: string,
  time: number,
  properties: Record<string, unknown> | undefined,
): string {
  const message = {
    event,
    properties: {
      token,
      distinct_id: distinctId,
      time,
      $insert_id: ID,
      $lib: 'node',
      $lib_version: '1.2.3',
      ...properties,
    },
  };
  return serializeMessage(message, jsonSerializer, 'test');
}

function fast(
  token: string,
  event: string,
  distinctId: string,
  time: number,
  properties: Record<string, unknown> | undefined,
): string | undefined {
  return eventJson(new EventFrame(token, 'node', '1.2.3'), event, distinctId, time, ID, properties);
}

describe('eventJson', () => {
  it('writes the same bytes as the general path', () => {
    const cases: [string, string, string, Record<string, unknown> | undefined][] = [
      ['T', 'Signed Up', 'u1', { plan: 'pro', n: 1.5, ok: true, none: null }],
      ['T', 'E', 'u1', undefined],
      ['T', 'E', 'u1', {}],
      ['T', 'E', 'u1', { skipped: undefined, f: () => 1, kept: 'yes' }],
      ['T', 'E', 'u1', { nested: { a: [1, null, { b: 'c' }] }, when: new Date(0) }],
      ['T', 'E', 'u1', { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, negZero: -0 }],
      ['Tø', 'Zoë 😀', 'ü\u007f', { name: 'Zoë 😀 "q" \\ \n', lone: '\ud800' }],
      ['T', 'E', 'u1', JSON.parse('{"__proto__":{"x":1},"constructor":{"prototype":2}}')],
    ];
    for (const [token, event, id, properties] of cases) {
      const written = fast(token, event, id, 1764220000123, properties);
      expect(written).toBeDefined();
      expect(written).toBe(general(token, event, id, 1764220000123, properties));
    }
  });

  it('leaves to the general path whatever it could write differently', () => {
    for (const key of ['token', 'distinct_id', 'time', '$insert_id', '$lib', '$lib_version']) {
      expect(fast('T', 'E', 'u', 1, { a: 1, [key]: 'mine' })).toBeUndefined();
    }
    // Array-index keys come first in any object, before the stamped properties.
    expect(fast('T', 'E', 'u', 1, { 0: 'a', b: 1 })).toBeUndefined();
    expect(
      fast('T', 'E', 'u', 1, new Date(0) as unknown as Record<string, unknown>),
    ).toBeUndefined();
    expect(fast('T', 'E', 'u', 1, { toJSON: () => ({ a: 1 }) })).toBeUndefined();
    // A toJSON getter could answer "none" to a check, then a function to JSON.stringify.
    expect(
      fast('T', 'E', 'u', 1, {
        a: 1,
        get toJSON() {
          return undefined;
        },
      }),
    ).toBeUndefined();
    class Model {
      get toJSON() {
        return undefined;
      }
    }
    expect(
      fast('T', 'E', 'u', 1, new Model() as unknown as Record<string, unknown>),
    ).toBeUndefined();
    expect(fast('T', 'E', 'u', 1, { big: 1n })).toBeUndefined();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(fast('T', 'E', 'u', 1, circular)).toBeUndefined();
  });

  it('agrees with the general path on any properties it takes', () => {
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.double(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
        fc.date({ noInvalidDate: true }),
      ),
      node: fc.oneof(
        { depthSize: 'small', maxDepth: 3 },
        tie('leaf'),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('node'), { maxKeys: 3 }),
      ),
    }));
    const key = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.constantFrom('time', '$insert_id', 'token', '7', '__proto__'),
    );
    let taken = 0;
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
        fc.dictionary(key, value.node, { maxKeys: 6 }),
        (token, event, distinctId, properties) => {
          const written = fast(token, event, distinctId, 1764220000123, properties);
          if (written === undefined) return;
          taken += 1;
          expect(written).toBe(general(token, event, distinctId, 1764220000123, properties));
          expect(written).toMatch(/^[\x20-\x7e]*$/);
        },
      ),
      { numRuns: 500, seed: 20261127 },
    );
    // Many inputs take the fast path: the property is not vacuous.
    expect(taken).toBeGreaterThan(100);
  });
});

describe('layeredJson', () => {
  it('keeps each key where it first appeared, with its last value, array-index keys too', () => {
    const json = layeredJson([
      { token: 'T', time: 1 },
      { '2024': 'y', plan: 'pro', time: 2 },
      { '0': 'z' },
    ]);
    // A merged JS object would start with "0" and "2024".
    expect(json).toBe('{"token":"T","time":2,"2024":"y","plan":"pro","0":"z"}');
  });

  it('writes RawJson as it is and leaves out what JSON.stringify leaves out', () => {
    const json = layeredJson([
      { event: 'E', properties: new RawJson('{"a":1}') },
      { gone: undefined, fn: () => 1, when: new Date(0) },
    ]);
    expect(json).toBe('{"event":"E","properties":{"a":1},"when":"1970-01-01T00:00:00.000Z"}');
  });

  it('writes what JSON.stringify of the merged layers writes when no key is an array index', () => {
    const key = fc.string().filter((k) => !/^(?:0|[1-9]\d*)$/.test(k) && k !== '__proto__');
    const layer = fc.dictionary(key, fc.jsonValue(), { maxKeys: 6 });
    fc.assert(
      fc.property(fc.array(layer, { maxLength: 4 }), (layers) => {
        let merged = {};
        for (const l of layers) merged = { ...merged, ...l };
        expect(layeredJson(layers)).toBe(JSON.stringify(merged));
      }),
    );
  });
});

describe('hasIndexKey', () => {
  it('finds an array-index key, and only that', () => {
    expect(hasIndexKey({ plan: 'pro', '7': 1 })).toBe(true);
    expect(hasIndexKey({ '0': 1 })).toBe(true);
    // Not array indices: JS keeps them in insertion order, as Python does.
    expect(hasIndexKey({ '01': 1, '-1': 2, '1.5': 3 })).toBe(false);
    expect(hasIndexKey({})).toBe(false);
    expect(hasIndexKey(undefined)).toBe(false);
  });
});

describe('what track() says of a message it cannot serialize', () => {
  let server: HttpFixture;
  beforeEach(async () => {
    server = await startFixture();
  });
  afterEach(async () => {
    await server.close();
  });

  function nested(depth: number, key: string): Record<string, unknown> {
    const root: Record<string, unknown> = {};
    let node = root;
    for (let i = 0; i < depth; i++) {
      const child: Record<string, unknown> = {};
      node[key] = child;
      node = child;
    }
    return root;
  }

  function throwingGetter(): Record<string, unknown> {
    return {
      get body(): string {
        throw new Error('lazy field not loaded');
      },
    };
  }

  const cases: Array<[string, (c: Cohorly) => unknown, RegExp]> = [
    [
      'properties nested too deep for JSON',
      (c) => c.track('u1', 'Saved Tree', { tree: nested(10_000, 'c') as never }),
      /^Cohorly\.track: the message cannot be serialized to JSON \(Maximum call stack size exceeded; properties\.tree(\.c)+\.\.\. is nested more than 1000 levels deep\)$/,
    ],
    [
      'arrays nested too deep for JSON',
      (c) => {
        let deep: unknown[] = [];
        for (let i = 0; i < 10_000; i++) deep = [deep];
        return c.track('u1', 'E', { deep: deep as never });
      },
      /^Cohorly\.track: the message cannot be serialized to JSON \(Maximum call stack size exceeded; properties\.deep(\[0\])+\.\.\. is nested more than 1000 levels deep\)$/,
    ],
    [
      'a profile nested too deep for JSON',
      (c) => c.peopleSet('u1', { tree: nested(10_000, 'c') as never }),
      /^Cohorly\.peopleSet: the message cannot be serialized to JSON \(.+; \$set\.tree(\.c)+\.\.\. is nested more than 1000 levels deep\)$/,
    ],
    [
      'a nested getter that throws',
      (c) => c.track('u1', 'Saved Doc', { doc: throwingGetter() as never }),
      /^Cohorly\.track: properties\.doc\.body throws when read \(lazy field not loaded\), so it cannot be serialized to JSON$/,
    ],
    [
      'a top-level getter that throws',
      (c) => c.track('u1', 'Saved Doc', throwingGetter() as never),
      /^Cohorly\.track: properties\.body throws when read \(lazy field not loaded\), so it cannot be serialized to JSON$/,
    ],
    [
      'a top-level getter that throws in meta',
      (c) => c.track('u1', 'E', {}, throwingGetter() as never),
      /^Cohorly\.track: body throws when read \(lazy field not loaded\), so it cannot be serialized to JSON$/,
    ],
    [
      "a top-level getter that throws in a profile operation's meta",
      (c) => c.peopleSet('u1', { plan: 'pro' }, throwingGetter() as never),
      /^Cohorly\.peopleSet: body throws when read \(lazy field not loaded\), so it cannot be serialized to JSON$/,
    ],
    [
      'a nested getter that throws in meta',
      (c) => c.track('u1', 'E', {}, { extra: throwingGetter() as never }),
      /^Cohorly\.track: extra\.body throws when read \(lazy field not loaded\), so it cannot be serialized to JSON$/,
    ],
    [
      'a nested toJSON getter that throws',
      (c) =>
        c.track('u1', 'E', {
          d: {
            get toJSON(): never {
              throw new Error('no');
            },
          },
        }),
      /^Cohorly\.track: properties\.d\.toJSON throws when read \(no\), so it cannot be serialized to JSON$/,
    ],
    [
      'a nested Proxy whose trap throws',
      (c) =>
        c.track('u1', 'E', {
          p: new Proxy(
            {},
            {
              ownKeys() {
                throw new Error('revoked');
              },
            },
          ),
        }),
      /^Cohorly\.track: the message cannot be serialized to JSON \(revoked\)$/,
    ],
  ];

  it.each(cases)(
    "throws a TypeError naming %s, with the serializer's error as cause, and sends nothing",
    async (_name, call, message) => {
      const consumer = new BufferedConsumer({ apiHost: server.url, flushIntervalMs: 0 });
      const client = new Cohorly('T', { consumer });
      let thrown: unknown;
      try {
        call(client);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).cause).toBeInstanceOf(Error);
      await client.track('u1', 'After');
      await expect(consumer.flush()).resolves.toBe(true);
      expect(
        server
          .json('/track')
          .flat()
          .map((e: any) => e.event),
      ).toEqual(['After']);
      expect(server.json('/engage')).toEqual([]);
    },
  );

  it('sends one distinct_id when a toJSON getter answers differently on each read', async () => {
    const consumer = new BufferedConsumer({ apiHost: server.url, flushIntervalMs: 0 });
    const client = new Cohorly('T', { consumer });
    let reads = 0;
    const properties = {
      plan: 'pro',
      get toJSON() {
        reads += 1;
        return reads === 1 ? undefined : () => ({ plan: 'pro', distinct_id: 'someone-else' });
      },
    };
    await client.track('user-1', 'Upgraded', properties as never);
    await expect(consumer.flush()).resolves.toBe(true);
    const [body] = server.requests.map((r) => r.body);
    expect(body?.match(/"distinct_id"/g)).toHaveLength(1);
    expect(server.json('/track').flat()).toMatchObject([
      { event: 'Upgraded', properties: { distinct_id: 'user-1', plan: 'pro' } },
    ]);
  });
});
