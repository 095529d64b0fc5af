import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  describeRun,
  type RunningScript,
  type ScriptResult,
  startScript,
} from './support/child-process.js';
import { NO_PROXY_ENV } from './support/forward-proxy.js';
import { locateRuntime, RUNTIMES_REQUIRED, type Runtime } from './support/runtimes.js';

// The NestJS example app (apps/nestjs-example, NestJS 12 on the Express platform, with the
// built @cohorly/nestjs), its own build started as is by Bun and Deno as real child processes,
// against a @cohorly/testing server on 127.0.0.1, driven with fetch as its users would.

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The example's folder: its dist resolves NestJS and @cohorly/nestjs from its node_modules. */
const APP_DIR = join(REPO_ROOT, 'apps/nestjs-example');
const MAIN = join(APP_DIR, 'dist/main.js');
const TOKEN = 'nestjs-runtime-token';
/** Killed past this: a run takes about two seconds, most of it Nest starting. */
const APP_KILL_MS = 15_000;
/** Nest's startup on Deno takes about a second; this only bounds a hang. */
const START_WAIT_MS = 12_000;
const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * The command line that runs the example with each runtime. Deno gets every permission (`-A`,
 * as the audit ran it): NestJS (`@nestjs/config` copies the whole environment) and Express's
 * `debug` dependency read every variable, and Nest reads its files and listens on the network.
 */
function commandLine(runtime: Runtime): [string, string[]] {
  if (runtime.name === 'bun') return [runtime.binary!, ['--no-install', MAIN]];
  return [runtime.binary!, ['run', '--no-lock', '--no-prompt', '--quiet', '-A', MAIN]];
}

/** Starts the example as its README says: a token, the server's address, `PORT=0`. */
function startApp(runtime: Runtime, apiHost: string): RunningScript {
  const [file, args] = commandLine(runtime);
  return startScript(file, args, {
    cwd: APP_DIR,
    timeoutMs: APP_KILL_MS,
    env: { ...NO_PROXY_ENV, COHORLY_TOKEN: TOKEN, COHORLY_API_HOST: apiHost, PORT: '0' },
  });
}

/** A request as the example's front end sends it: the user in `Authorization: Bearer`. */
async function call(
  port: number,
  path: string,
  options: { user?: string; body?: unknown } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.user) headers.authorization = `Bearer ${options.user}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`http://127.0.0.1:${port}${path}`, {
    method: options.body === undefined ? 'GET' : 'POST',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

/** Creates a project for `user` and returns its id. */
async function createProject(port: number, user: string, plan = 'free'): Promise<string> {
  const response = await call(port, '/projects', { user, body: { name: `${user}'s`, plan } });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

/** Views a project as `user`. */
async function viewProject(port: number, user: string, id: string): Promise<void> {
  const response = await call(port, `/projects/${id}`, { user });
  expect(response.status).toBe(200);
}

/**
 * It ended by itself, soon after the SIGTERM, with nothing reported to `onError` (the app logs
 * it as `WARN [Cohorly]`) and no unhandled rejection (logged as `unhandledRejection`).
 */
function expectCleanShutdown(result: ScriptResult, stoppingForMs: number): void {
  expect(result.killed, describeRun(result)).toBe(false);
  // Nest's shutdown hooks end by raising the signal again (`process.kill(process.pid, signal)`),
  // as on Node.js: the exit status says SIGTERM, and no time limit was needed for it.
  expect({ code: result.code, signal: result.signal }, describeRun(result)).toEqual({
    code: null,
    signal: 'SIGTERM',
  });
  expect(stoppingForMs, describeRun(result)).toBeLessThan(5_000);
  expect(`${result.stdout}${result.stderr}`).not.toMatch(/\[Cohorly\]|unhandledRejection|ERROR/);
}

const runtimes = [locateRuntime('bun'), locateRuntime('deno')];

for (const runtime of runtimes) {
  const skip = runtime.binary === undefined && !RUNTIMES_REQUIRED;
  if (skip) console.warn(`runtimes: skipping ${runtime.name}: ${runtime.missing}`);

  describe.skipIf(skip)(`the NestJS example app on ${runtime.name}`, () => {
    beforeAll(() => {
      // On linux-x64 (CI) a missing binary is a failure, never a skip.
      if (runtime.binary === undefined) throw new Error(runtime.missing);
      if (!existsSync(MAIN)) {
        throw new Error(
          `${MAIN} is missing: build the example first (pnpm --filter @cohorly/nestjs-example build; pnpm test builds every app)`,
        );
      }
    });

    it('tracks startup, each request for its own user, nothing for /health, and delivers everything on SIGTERM before exiting by itself', async () => {
      server = await startTestServer({ tokens: [TOKEN] });
      const app = startApp(runtime, server.url);
      const port = Number((await app.waitForText(LISTENING, START_WAIT_MS))[1]);

      // Outside any request, with its explicit distinct id.
      const [started] = await server.waitForEvents(
        { event: 'Server Started' },
        { timeoutMs: 5_000 },
      );
      expect(started).toMatchObject({ distinctId: 'system', token: TOKEN });
      expect(started?.properties.node).toMatch(/^v\d+\./);

      // @Track for the user BearerAuthGuard signed in, its plan taken from the handler's result.
      const id = await createProject(port, 'user-1', 'team');
      const [created] = await server.waitForEvents(
        { event: 'Project Created', distinctId: 'user-1' },
        { timeoutMs: 5_000 },
      );
      expect(created?.properties).toMatchObject({ plan: 'team', $path: '/projects' });

      // Tracked by ProjectsService, which never sees the request: AsyncLocalStorage finds it.
      await viewProject(port, 'user-1', id);
      const [viewed] = await server.waitForEvents(
        { event: 'Project Viewed', distinctId: 'user-1' },
        { timeoutMs: 5_000 },
      );
      expect(viewed?.properties).toMatchObject({ projectId: id, $path: `/projects/${id}` });

      // 20 concurrent requests by different users, then 20 concurrent views: each its own user.
      const users = Array.from({ length: 20 }, (_, i) => `crowd-${i}`);
      const ids = await Promise.all(users.map((user) => createProject(port, user)));
      await Promise.all(users.map((user, i) => viewProject(port, user, ids[i]!)));
      const crowdViews = await server.waitForEvents(
        { event: 'Project Viewed', where: (event) => event.distinctId.startsWith('crowd-') },
        { count: 20, timeoutMs: 5_000 },
      );
      expect(
        crowdViews.map((event) => [event.distinctId, event.properties.projectId]).sort(),
      ).toEqual(users.map((user, i) => [user, ids[i]]).sort());
      const crowdCreated = server
        .events({ event: 'Project Created' })
        .map((event) => event.distinctId)
        .filter((user) => user.startsWith('crowd-'));
      expect(crowdCreated.sort()).toEqual([...users].sort());

      // A health check answers, and is tracked by nobody (the exact total below shows it).
      expect((await call(port, '/health')).status).toBe(200);

      // Tracked just before SIGTERM: still queued (a coalesced flush waits) when it comes.
      await createProject(port, 'last-user');
      const stopping = performance.now();
      app.signal('SIGTERM');
      const result = await app.result;

      expectCleanShutdown(result, performance.now() - stopping);
      expect(server.events({ distinctId: 'last-user' }).map((event) => event.event)).toEqual([
        'Project Created',
      ]);
      // Server Started, user-1's two, the crowd's 40 and last-user's: nothing for /health.
      expect(server.events()).toHaveLength(44);
      expect(server.events().filter((event) => event.properties.$path === '/health')).toEqual([]);
    });
  });
}
