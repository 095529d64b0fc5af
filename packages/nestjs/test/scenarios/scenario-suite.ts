import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ChildApp, startChildApp } from '../child-app.js';

/** Where the scenario app runs from, and how it is labelled. */
export interface ScenarioTarget {
  /** The NestJS major under test: both the app and the package must load it. */
  nest: number;
  /** Path of `scenario-app.cjs`, placed where its `require`s resolve to the versions under test. */
  entry: string;
}

function get(url: string, user?: string, method = 'GET'): Promise<Response> {
  return fetch(url, { method, headers: user ? { authorization: `Bearer ${user}` } : {} });
}

/**
 * The scenarios every supported NestJS major and platform must pass, against the built
 * package loaded from CommonJS: attribution, failures, concurrency and shutdown, as a user
 * of a real app would notice them.
 */
export function describeScenarios(target: ScenarioTarget): void {
  describe.each(['express', 'fastify'])(
    `NestJS ${target.nest} on %s, built package from CommonJS`,
    (platform) => {
      let server: TestServer;
      let shop: ChildApp | undefined;
      const started = (env: Record<string, string> = {}) =>
        startChildApp(target.entry, {
          PLATFORM: platform,
          COHORLY_TOKEN: 'SCENARIO-T',
          COHORLY_API_HOST: server.url,
          ...env,
        });

      beforeAll(async () => {
        server = await startTestServer();
        shop = await started();
      });
      afterAll(async () => {
        await shop?.stop('SIGKILL');
        await server?.close();
      });

      describe('a running app', () => {
        beforeEach(async () => {
          // The app tracks a startup event outside any request, right after it boots.
          await server.waitForEvents({ event: 'App Started' }, { timeoutMs: 10_000 });
        });

        it(`runs the app and the package on the same NestJS ${target.nest}`, () => {
          const [, app, library] = /nest app=(\d+)\.\S+ library=(\d+)\./.exec(shop!.output()) ?? [];
          expect({ app, library }).toEqual({
            app: String(target.nest),
            library: String(target.nest),
          });
          // Nor any warning from Nest (a route pattern it deprecates, say).
          expect(shop!.output()).not.toMatch(/WARN|DeprecationWarning/);
        });

        it('tracks outside requests with an explicit distinct id', () => {
          expect(server.events({ event: 'App Started' })).toMatchObject([
            { distinctId: 'system', token: 'SCENARIO-T', properties: { platform } },
          ]);
        });

        it('runs a message handler called through ExternalContextCreator', async () => {
          expect(shop!.output()).toContain('message handler returned ack');
          await server.waitForEvents(
            { event: 'Message Handled', distinctId: 'bot', properties: { id: 'm-1' } },
            { timeoutMs: 10_000 },
          );
        });

        it('attributes @Track to the user the guard found, after the handler succeeded', async () => {
          const response = await get(`${shop!.url}/orders`, 'alice', 'POST');
          expect(response.status).toBe(201);
          const [event] = await server.waitForEvents(
            { event: 'Order Placed' },
            { timeoutMs: 10_000 },
          );
          expect(event).toMatchObject({
            distinctId: 'alice',
            properties: { total: 42, $path: '/orders' },
          });
        });

        it('tracks nothing for a handler that throws', async () => {
          expect((await get(`${shop!.url}/fail`, 'bob')).status).toBe(500);
          expect((await get(`${shop!.url}/marker/after-fail`, 'bob')).status).toBe(200);
          await server.waitForEvents({ event: 'Marker' }, { timeoutMs: 10_000 });
          expect(server.events({ event: 'Should Not Arrive' })).toEqual([]);
        });

        it('never mixes up the users of concurrent requests', async () => {
          const users = Array.from({ length: 100 }, (_, index) => `${platform}-user-${index}`);
          const responses = await Promise.all(
            users.map((user) => get(`${shop!.url}/viewed/${user}`, user)),
          );
          expect(responses.every((response) => response.status === 200)).toBe(true);
          const events = await server.waitForEvents(
            { event: 'Page Viewed' },
            { count: users.length, timeoutMs: 15_000 },
          );
          for (const event of events) expect(event.properties.page).toBe(event.distinctId);
          expect(new Set(events.map((event) => event.distinctId)).size).toBe(users.length);
          expect(shop!.output()).not.toContain('unhandledRejection');
        });
      });

      it('refuses to start with CohorlyModule imported twice, saying how to fix it', async () => {
        const starting = started({ COHORLY_IMPORT_TWICE: '1' });
        // Stopped, should it start after all.
        void starting.then(
          (child) => child.stop('SIGKILL'),
          () => undefined,
        );
        await expect(starting).rejects.toThrow(
          'CohorlyModule: imported 2 times in this application',
        );
      });

      it('delivers every event on SIGTERM (shutdown hooks) and exits', async () => {
        // Flushing only at shutdown: whatever arrives, the final flush delivered.
        const draining = await started({ COHORLY_FLUSH: 'none' });
        try {
          const users = ['u1', 'u2', 'u3'];
          for (const user of users) {
            expect((await get(`${draining.url}/orders`, user, 'POST')).status).toBe(201);
          }
          const exit = await draining.stop('SIGTERM');
          expect(exit.killed).toBe(false);
          expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
          const delivered = server
            .events({ event: 'Order Placed' })
            .map((event) => event.distinctId);
          expect(delivered).toEqual(expect.arrayContaining(users));
          expect(draining.output()).not.toContain('unhandledRejection');
        } finally {
          await draining.stop('SIGKILL');
        }
      });
    },
  );
}
