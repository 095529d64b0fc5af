import fc from 'fast-check';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BufferedConsumer } from '../src/buffered-consumer.js';
import { Cohorly } from '../src/cohorly.js';
import { type HttpFixture, startFixture } from './http-fixture.js';

let server: HttpFixture;
beforeEach(async () => {
  server = await startFixture();
});
afterEach(async () => {
  await server.close();
});

/** Values JSON can and cannot carry, as they reach an SDK from real code. */
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.string({ unit: 'binary' }), // every code point, lone surrogates included
    fc.string({ unit: 'grapheme', maxLength: 2000 }),
    fc.constantFrom(
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0,
      0,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
    ),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.bigInt(),
    fc.date({ noInvalidDate: false }),
    fc.constant(Symbol('s')),
    fc.constant(() => 1),
    fc.constant('x'.repeat(100_000)),
  ),
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 6 },
    tie('leaf'),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('node'), { maxKeys: 4 }),
  ),
}));

/** Property objects, sometimes circular, sometimes with `__proto__` / `constructor` keys from JSON.parse. */
const properties = fc
  .tuple(
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 10 }), value.node, { maxKeys: 6 }),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([props, circular, hostileKeys]) => {
    const result: Record<string, unknown> = { ...props };
    if (hostileKeys) {
      Object.assign(
        result,
        JSON.parse(
          '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
        ),
      );
      // Object.assign above runs the __proto__ setter; JSON.parse's own key must reach us too.
      Object.defineProperty(result, '__proto__', {
        value: { polluted: 'yes' },
        enumerable: true,
        configurable: true,
        writable: true,
      });
    }
    if (circular) {
      const inner: Record<string, unknown> = { name: 'loop' };
      inner.self = inner;
      result.nested = inner;
    }
    return result;
  });

/** What JSON.stringify can do with a value: its JSON text, or the reason it cannot. */
function jsonOf(value: unknown): { json: string } | { error: 'BigInt' | 'circular' } {
  try {
    return { json: JSON.stringify(value) };
  } catch (error) {
    return { error: /BigInt/.test(String(error)) ? 'BigInt' : 'circular' };
  }
}

it('delivers every input JSON can carry as JSON that round-trips, rejects the rest by name, and affects nothing else', async () => {
  const consumer = new BufferedConsumer({
    apiHost: server.url,
    flushIntervalMs: 0,
    maxSize: 500,
    maxQueueSize: 10_000,
  });
  const client = new Cohorly('T', { consumer });
  const expected: string[] = [];
  let rejected = 0;

  fc.assert(
    fc.property(properties, (props) => {
      const outcome = jsonOf(props);
      const id = String(expected.length + rejected);
      const stamped = { $insert_id: id, time: 1 };
      if ('error' in outcome) {
        expect(() => client.track('u', 'Fuzz', { ...props, ...stamped } as never)).toThrow(
          TypeError,
        );
        expect(() => client.track('u', 'Fuzz', { ...props, ...stamped } as never)).toThrow(
          outcome.error === 'BigInt' ? /is a BigInt/ : /is a circular reference/,
        );
        rejected += 1;
      } else {
        void client.track('u', 'Fuzz', { ...props, ...stamped } as never);
        expected.push(JSON.stringify(JSON.parse(outcome.json)));
      }
      // A canary after every call: one bad message must never cost another.
      void client.track('u', 'Canary', { $insert_id: `canary-${id}` });
    }),
    { numRuns: 300, seed: 20261127 },
  );

  await expect(consumer.flush()).resolves.toBe(true);
  const received = server.requests.flatMap(
    (r) => JSON.parse(r.body) as Array<{ event: string; properties: Record<string, unknown> }>,
  );
  const fuzz = received.filter((e) => e.event === 'Fuzz');
  const canaries = received.filter((e) => e.event === 'Canary');
  expect(canaries).toHaveLength(300);
  expect(fuzz).toHaveLength(expected.length);
  expect(rejected).toBeGreaterThan(0);
  expect(expected.length).toBeGreaterThan(0);
  for (const [index, event] of fuzz.entries()) {
    const { token, distinct_id, time, $insert_id, $lib, $lib_version, ...rest } = event.properties;
    expect({ token, distinct_id, $lib }).toEqual({ token: 'T', distinct_id: 'u', $lib: 'node' });
    // Compare as JSON text: own `__proto__` keys survive that, and must.
    const sent = JSON.parse(expected[index]!) as Record<string, unknown>;
    delete sent.$insert_id;
    delete sent.time;
    for (const key of ['token', 'distinct_id', '$lib', '$lib_version']) delete sent[key];
    expect(JSON.stringify(rest)).toBe(JSON.stringify(sent));
  }
  // Every body was plain ASCII on the wire, as the Python SDK sends it.
  for (const request of server.requests) expect(request.body).toMatch(/^[\x20-\x7e]*$/);
  // Nothing leaked onto a prototype.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
});
