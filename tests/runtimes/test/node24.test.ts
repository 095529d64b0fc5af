import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, runScript, type ScriptResult } from './support/child-process.js';
import { NO_PROXY_ENV, startForwardProxy } from './support/forward-proxy.js';
import { locateNode24, RUNTIMES_REQUIRED } from './support/runtimes.js';
import { PACKAGE_DIR } from './support/scenario.js';

// The built Node integrations (@cohorly/server-kit/node, @cohorly/express) run by Node.js 24
// as real child processes, for what differs from the Node 20 the rest of the tests run on:
// builtins whose ES module namespace loads undici, the environment's proxy, and an
// AsyncLocalStorage built on AsyncContextFrame.

const node24 = locateNode24();
const skip = node24.binary === undefined && !RUNTIMES_REQUIRED;
if (skip) console.warn(`runtimes: skipping node24: ${node24.missing}`);

/** How long a script may run before it is killed: each takes well under a second. */
const CHILD_KILL_MS = 10_000;

/** The last JSON line the script printed; throws, showing the whole run, when there is none. */
function resultOf(run: ScriptResult): Record<string, unknown> {
  const line = run.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`no JSON result line\n${describeRun(run)}`);
  }
}

/**
 * Runs an ES module `script` on Node 24 from this package's folder, with `env` over the
 * tests' environment; killed at CHILD_KILL_MS, and when the test ends, whatever happened.
 */
function runNode24(
  script: string,
  env: Record<string, string>,
  flags: readonly string[] = [],
): Promise<ScriptResult> {
  return runScript(node24.binary!, [...flags, '--input-type=module', '-e', script], {
    cwd: PACKAGE_DIR,
    timeoutMs: CHILD_KILL_MS,
    env: { ...NO_PROXY_ENV, ...env },
  });
}

describe.skipIf(skip)('Node.js 24', () => {
  let server: TestServer | undefined;

  beforeAll(() => {
    // On linux-x64 (CI) a missing binary is a failure, never a skip.
    if (node24.binary === undefined) throw new Error(node24.missing);
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each([
    [
      '@cohorly/express',
      `import { cohorly } from '@cohorly/express';
      const analytics = cohorly({ token: 'T', apiHost: process.env.TARGET_URL, flush: 'none' });
      await analytics.client.track('u1', 'Signed Up');
      const report = await analytics.close({ timeoutMs: 5000 });`,
    ],
    [
      '@cohorly/server-kit/node',
      `import { BufferedConsumer, Cohorly } from '@cohorly/core';
      import { createNodeFetch } from '@cohorly/server-kit/node';
      const consumer = new BufferedConsumer({ apiHost: process.env.TARGET_URL, fetch: createNodeFetch() });
      const client = new Cohorly('T', { consumer });
      await client.track('u1', 'Signed Up');
      const report = await client.close({ timeoutMs: 5000 });`,
    ],
  ])(
    'an ES module app importing %s and delivering with its default transport never loads undici',
    async (_, app) => {
      server = await startTestServer();
      // Node 22+ gives node:http lazy getters (WebSocket, ...) that load undici, and an ES
      // module import of node:http reads them all.
      const script = `${app}
      const undici = process.moduleLoadList.filter((name) => name.includes('undici'));
      console.log(JSON.stringify({ version: process.version, sent: report.sent, undici }));`;

      const run = await runNode24(script, { TARGET_URL: server.url });

      expect(run.code, describeRun(run)).toBe(0);
      expect(resultOf(run)).toEqual({ version: 'v24.21.0', sent: 1, undici: [] });
      expect(server.events().map((event) => event.event)).toEqual(['Signed Up']);
    },
  );

  /** Delivers one event with createNodeFetch() to TARGET_URL, and prints close()'s report. */
  const DELIVER_ONE = `
    import { BufferedConsumer, Cohorly } from '@cohorly/core';
    import { createNodeFetch } from '@cohorly/server-kit/node';
    const errors = [];
    const consumer = new BufferedConsumer({
      apiHost: process.env.TARGET_URL,
      fetch: createNodeFetch(),
      onError: (error) => errors.push(String(error)),
    });
    const client = new Cohorly('T', { consumer });
    await client.track('u1', 'Signed Up');
    const report = await client.close({ timeoutMs: 5000 });
    console.log(JSON.stringify({ sent: report.sent, errors }));`;

  it.each([
    ['NODE_USE_ENV_PROXY=1', { NODE_USE_ENV_PROXY: '1' }, []],
    ['--use-env-proxy', {}, ['--use-env-proxy']],
    ['--use-env-proxy in NODE_OPTIONS', { NODE_OPTIONS: '--use-env-proxy' }, []],
  ])(
    'createNodeFetch() goes through HTTP_PROXY under %s, as Node’s own agents do',
    async (_, env, flags) => {
      server = await startTestServer();
      const proxy = await startForwardProxy();

      const run = await runNode24(
        DELIVER_ONE,
        { ...env, TARGET_URL: server.url, HTTP_PROXY: proxy.url, http_proxy: proxy.url },
        flags,
      );

      expect(run.code, describeRun(run)).toBe(0);
      expect(resultOf(run)).toEqual({ sent: 1, errors: [] });
      expect(proxy.seen).toHaveLength(1);
      expect(proxy.seen[0]).toMatch(new RegExp(`^POST ${server.url}/track`));
      expect(server.events().map((event) => event.distinctId)).toEqual(['u1']);
    },
  );

  it('createNodeFetch() connects directly when Node is not told to use the proxy of the environment', async () => {
    server = await startTestServer();
    const proxy = await startForwardProxy();

    const run = await runNode24(DELIVER_ONE, {
      TARGET_URL: server.url,
      HTTP_PROXY: proxy.url,
      http_proxy: proxy.url,
    });

    expect(run.code, describeRun(run)).toBe(0);
    expect(resultOf(run)).toEqual({ sent: 1, errors: [] });
    expect(proxy.seen).toEqual([]);
    expect(server.events()).toHaveLength(1);
  });

  it.each(['on-close', 'coalesced'])(
    "an Express app in '%s' mode under load: every flush runs outside any request, every event reaches its user",
    async (flush) => {
      server = await startTestServer();
      // Rounds of concurrent requests, so that responses close while a flush is on the wire
      // and the flush loop runs on: the fetch records the request context each flush runs in.
      const script = `
      import { once } from 'node:events';
      import express from 'express';
      import { cohorly, getRequestCohorly } from '@cohorly/express';
      import { createNodeFetch } from '@cohorly/server-kit/node';
      const send = createNodeFetch();
      const contexts = new Set();
      const analytics = cohorly({
        token: 'T',
        apiHost: process.env.TARGET_URL,
        flush: process.env.FLUSH_MODE,
        identify: (req) => req.get('x-user'),
        fetch: (input, init) => {
          contexts.add(getRequestCohorly()?.distinctId ?? 'no request');
          return send(input, init);
        },
      });
      const app = express();
      app.use(analytics);
      app.get('/', (req, res) => {
        void req.cohorly.track('Visited');
        res.send('ok');
      });
      const listener = app.listen(0, '127.0.0.1');
      await once(listener, 'listening');
      const base = 'http://127.0.0.1:' + listener.address().port;
      const statuses = new Set();
      for (let round = 0; round < 5; round += 1) {
        await Promise.all(Array.from({ length: 20 }, async (_, i) => {
          const response = await fetch(base, { headers: { 'x-user': 'user-' + (round * 20 + i) } });
          await response.text();
          statuses.add(response.status);
        }));
      }
      const report = await analytics.close({ timeoutMs: 5000 });
      listener.close();
      listener.closeAllConnections();
      console.log(JSON.stringify({ contexts: [...contexts], statuses: [...statuses], undelivered: report.undelivered }));`;

      const run = await runNode24(script, { TARGET_URL: server.url, FLUSH_MODE: flush });

      expect(run.code, describeRun(run)).toBe(0);
      expect(resultOf(run)).toEqual({ contexts: ['no request'], statuses: [200], undelivered: 0 });
      const users = server
        .events()
        .map((event) => event.distinctId)
        .sort();
      expect(users).toEqual(Array.from({ length: 100 }, (_, i) => `user-${i}`).sort());
    },
  );
});
