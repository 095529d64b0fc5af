import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  describeRun,
  lineOf,
  type RunningScript,
  type ScriptResult,
  startScript,
} from './support/child-process.js';
import { NO_PROXY_ENV, startForwardProxy } from './support/forward-proxy.js';
import { locateRuntime, RUNTIMES_REQUIRED, type Runtime } from './support/runtimes.js';
import { PACKAGE_DIR } from './support/scenario.js';

// An Express 5 app with the built @cohorly/express (fixtures/express-app.mjs), served by Bun
// and Deno as real child processes, and by Node.js as the control, against a
// @cohorly/testing server on 127.0.0.1, driven with fetch as its users would.

const FIXTURE = fileURLToPath(new URL('../fixtures/express-app.mjs', import.meta.url));
const TOKEN = 'express-runtime-token';
/** Killed past this: a run takes about half a second. */
const APP_KILL_MS = 15_000;
/** A host that never resolves (RFC 2606): only the egress proxy reaches the Cohorly server. */
const PROXIED_API_HOST = 'http://cohorly-api.test';

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * The command line that runs the fixture with each runtime. Deno gets the network of
 * 127.0.0.1 (and `hosts`), and the whole environment unless `env` narrows it: Express's
 * `debug` dependency lists every variable.
 */
function commandLine(
  runtime: Runtime | 'node',
  args: readonly string[],
  deno: { hosts?: readonly string[]; env?: readonly string[] } = {},
): [string, string[]] {
  if (runtime === 'node') return [process.execPath, [FIXTURE, ...args]];
  if (runtime.name === 'bun') return [runtime.binary!, ['--no-install', FIXTURE, ...args]];
  const net = ['127.0.0.1', ...(deno.hosts ?? [])].join(',');
  const env = deno.env === undefined ? '--allow-env' : `--allow-env=${deno.env.join(',')}`;
  return [
    runtime.binary!,
    ['run', '--no-lock', '--no-prompt', '--quiet', `--allow-net=${net}`, env, FIXTURE, ...args],
  ];
}

/** Starts the fixture with `apiHost`, the environment's proxy left out unless `env` sets one. */
function startApp(
  runtime: Runtime | 'node',
  apiHost: string,
  options: {
    args?: readonly string[];
    env?: Record<string, string>;
    deno?: Parameters<typeof commandLine>[2];
  } = {},
): RunningScript {
  const [file, args] = commandLine(runtime, options.args ?? [], options.deno);
  return startScript(file, args, {
    cwd: PACKAGE_DIR,
    timeoutMs: APP_KILL_MS,
    env: { ...NO_PROXY_ENV, COHORLY_TOKEN: TOKEN, COHORLY_API_HOST: apiHost, ...options.env },
  });
}

/** The port the app listens on, once it says so. */
async function listening(app: RunningScript): Promise<number> {
  return Number((await app.waitForLine('listening')).port);
}

/** GETs `path` from the app, as a browser or API client would, and reads the JSON answer. */
async function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** SIGTERMs the app, as a process manager does, and waits until it has exited. */
async function stop(app: RunningScript): Promise<ScriptResult> {
  app.signal('SIGTERM');
  return app.result;
}

/** It ended by itself, with every event delivered, nothing reported to onError and no unhandled rejection. */
function expectCleanExit(result: ScriptResult): void {
  expect(result.killed, describeRun(result)).toBe(false);
  expect(result.code, describeRun(result)).toBe(0);
  expect(lineOf(result, 'resolved').express).toMatch(/\/packages\/express\/dist\/index\.js$/);
  expect(lineOf(result, 'closed').report).toMatchObject({ drained: true, undelivered: 0 });
  expect(result.lines.filter((line) => /^(on-error|unhandled-rejection)$/.test(line.type))).toEqual(
    [],
  );
  // The process ends soon after close() resolves: nothing of Cohorly's holds it open.
  expect(result.exitAfterLastLineMs, describeRun(result)).toBeLessThan(5_000);
}

const bun = locateRuntime('bun');
const deno = locateRuntime('deno');

for (const runtime of [bun, deno, 'node'] as const) {
  const name = runtime === 'node' ? 'node' : runtime.name;
  const skip = runtime !== 'node' && runtime.binary === undefined && !RUNTIMES_REQUIRED;
  if (skip) console.warn(`runtimes: skipping ${name}: ${(runtime as Runtime).missing}`);

  describe.skipIf(skip)(`@cohorly/express on ${name}`, () => {
    beforeAll(() => {
      // On linux-x64 (CI) a missing binary is a failure, never a skip.
      if (runtime !== 'node' && runtime.binary === undefined) throw new Error(runtime.missing);
    });

    it('tracks each request for its own user, coalesced, and delivers everything on SIGTERM before exiting by itself', async () => {
      server = await startTestServer();
      const app = startApp(runtime, server.url);
      const port = await listening(app);

      // identify() reads the user the app's auth set; no user: the anonymous-id header.
      expect(
        await get(port, '/signup?plan=pro', {
          authorization: 'Bearer u1',
          'user-agent': 'runtimes-test/1',
        }),
      ).toEqual({ distinctId: 'u1' });
      expect(await get(port, '/signup', { 'x-cohorly-anonymous-id': 'anon-1' })).toEqual({
        distinctId: 'anon-1',
      });
      // getRequestCohorly() after awaits, in 20 concurrent requests by different users.
      const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
      const answers = await Promise.all(
        users.map((user, i) => get(port, `/projects/p${i}`, { authorization: `Bearer ${user}` })),
      );
      expect(answers).toEqual(users.map(() => ({ found: true })));

      // Delivered while the app serves on: flushed soon after they are tracked, not at exit.
      await server.waitForEvents(22, { timeoutMs: 5_000 });
      const [signedUp, anonymous] = server.events({ event: 'Signed Up' });
      expect(signedUp).toMatchObject({
        distinctId: 'u1',
        properties: {
          $path: '/signup',
          $user_agent: 'runtimes-test/1',
          route: '/signup',
          plan: 'pro',
        },
      });
      expect(anonymous).toMatchObject({ distinctId: 'anon-1', properties: { $path: '/signup' } });
      const viewed = server.events({ event: 'Project Viewed' });
      expect(viewed.map((event) => [event.distinctId, event.properties.asker]).sort()).toEqual(
        users.map((user) => [user, user]).sort(),
      );
      // Coalesced: the requests around each other share a batch (one POST per event would be 22).
      const posts = server.requests().filter((request) => request.method === 'POST');
      expect(posts.every((request) => request.path === '/track' && request.status === 200)).toBe(
        true,
      );
      expect(posts.length).toBeLessThanOrEqual(4);

      // Tracked just before SIGTERM: still queued (a flush waits 50 ms) when the signal comes.
      await get(port, '/signup?plan=team', { authorization: 'Bearer last-user' });
      const result = await stop(app);

      expectCleanExit(result);
      lineOf(result, 'sigterm');
      expect(server.events({ distinctId: 'last-user' }).map((event) => event.event)).toEqual([
        'Signed Up',
      ]);
      expect(server.events()).toHaveLength(23);
    });
  });
}

for (const runtime of [bun, deno]) {
  const skip = runtime.binary === undefined && !RUNTIMES_REQUIRED;

  describe.skipIf(skip)(`@cohorly/express on ${runtime.name}: the environment`, () => {
    beforeAll(() => {
      if (runtime.binary === undefined) throw new Error(runtime.missing);
    });

    it('delivers through the egress proxy HTTP_PROXY names, as the runtime’s own fetch does', async () => {
      server = await startTestServer();
      const proxy = await startForwardProxy({ to: server.url });
      const app = startApp(runtime, PROXIED_API_HOST, {
        env: { HTTP_PROXY: proxy.url, http_proxy: proxy.url },
        deno: { hosts: [new URL(PROXIED_API_HOST).host] },
      });
      const port = await listening(app);

      await get(port, '/signup', { authorization: 'Bearer u1' });
      await server.waitForEvents(1, { timeoutMs: 5_000 });
      const result = await stop(app);

      expectCleanExit(result);
      expect(proxy.seen).toEqual([`POST ${PROXIED_API_HOST}/track`]);
      expect(server.events().map((event) => event.distinctId)).toEqual(['u1']);
    });
  });
}

describe.skipIf(deno.binary === undefined && !RUNTIMES_REQUIRED)(
  '@cohorly/express on Deno with --allow-env for its own variables only',
  () => {
    beforeAll(() => {
      if (deno.binary === undefined) throw new Error(deno.missing);
    });

    it.each([
      ['the default transport', []],
      ['createNodeFetch() passed as fetch', ['--node-fetch']],
    ])('starts and delivers with %s', async (_, args) => {
      server = await startTestServer();
      // Express itself is not loaded (--no-server): its `debug` dependency lists the whole
      // environment, which this permission refuses.
      const app = startApp(deno, server.url, {
        args: ['--no-server', ...args],
        deno: { env: ['NODE_ENV', 'COHORLY_TOKEN', 'COHORLY_API_HOST'] },
      });

      const result = await app.result;

      expectCleanExit(result);
      expect(lineOf(result, 'closed').report).toMatchObject({ sent: 1 });
      expect(server.events().map((event) => [event.event, event.distinctId])).toEqual([
        ['Script Ran', 'script-user'],
      ]);
    });
  },
);
