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
