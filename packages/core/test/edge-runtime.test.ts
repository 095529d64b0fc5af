import { readFileSync } from 'node:fs';
import { EdgeRuntime } from 'edge-runtime';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type HttpFixture, startFixture } from './http-fixture.js';

const cjs = readFileSync(new URL('../dist/index.cjs', import.meta.url), 'utf8');

let server: HttpFixture;
beforeEach(async () => {
  server = await startFixture();
});
afterEach(async () => {
  await server.close();
});

it('runs in an edge runtime (no require, no process, no node: modules) and delivers', async () => {
  const runtime = new EdgeRuntime();
  // The edge VM has no module loader: evaluate the built bundle as a plain script.
  runtime.evaluate(
    `var module = { exports: {} }; (function (module, exports) { ${cjs}\n})(module, module.exports); globalThis.core = module.exports;`,
  );
  expect(runtime.evaluate('[typeof require, typeof process]')).toEqual(['undefined', 'undefined']);
  const result = await runtime.evaluate(`(async () => {
    const { Cohorly, BufferedConsumer, Consumer } = globalThis.core;
    const batched = new Cohorly('T', { consumer: new BufferedConsumer({ apiHost: ${JSON.stringify(server.url)} }) });
    await batched.track('edge-user', 'Edge Event', { region: 'iad1' });
    await batched.peopleSet('edge-user', { plan: 'pro' });
    const report = await batched.close({ timeoutMs: 5000 });
    await new Cohorly('T', { consumer: new Consumer({ apiHost: ${JSON.stringify(server.url)} }) }).alias('a', 'edge-user');
    return JSON.stringify(report);
  })()`);
  expect(JSON.parse(result)).toMatchObject({ drained: true, sent: 2, undelivered: 0 });
  expect(server.json('/track')).toMatchObject([
    [
      {
        event: 'Edge Event',
        properties: { distinct_id: 'edge-user', region: 'iad1', $lib: 'node' },
      },
    ],
  ]);
  expect(server.json('/engage')).toMatchObject([[{ $set: { plan: 'pro' } }]]);
  expect(server.json('/alias')).toEqual([{ alias: 'a', distinct_id: 'edge-user', token: 'T' }]);
});

it('starts its flush timer at the first send where timers are refused at construction', async () => {
  // Cloudflare Workers throw on a timer set at global scope, where a client is usually made.
  const runtime = new EdgeRuntime();
  runtime.evaluate(
    `var module = { exports: {} }; (function (module, exports) { ${cjs}\n})(module, module.exports); globalThis.core = module.exports;`,
  );
  const result = await runtime.evaluate(`(async () => {
    const { Cohorly, BufferedConsumer } = globalThis.core;
    const realSetInterval = globalThis.setInterval;
    globalThis.setInterval = () => {
      throw new Error('Disallowed operation called within global scope');
    };
    const consumer = new BufferedConsumer({ apiHost: ${JSON.stringify(server.url)}, flushIntervalMs: 10000 });
    // Inside a request timers are allowed: a fake one, fired by hand, stands for the interval.
    const timers = [];
    globalThis.setInterval = (callback, ms) => {
      timers.push({ callback, ms });
      return timers.length;
    };
    const client = new Cohorly('T', { consumer });
    await client.track('worker-user', 'Worker Event');
    const armed = timers.map((timer) => timer.ms);
    timers[0].callback();
    // The interval's flush is not awaited by it: wait for its request (bounded).
    for (let turn = 0; turn < 1000 && consumer.stats().sent === 0; turn += 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    globalThis.setInterval = realSetInterval;
    return JSON.stringify({ armed, stats: consumer.stats() });
  })()`);
  const { armed, stats } = JSON.parse(result);
  expect(armed).toEqual([10000]);
  expect(stats).toMatchObject({ sent: 1, queued: { events: 0 } });
  expect(server.json('/track')).toMatchObject([[{ event: 'Worker Event' }]]);
});
