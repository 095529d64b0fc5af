import type { RequestListener } from 'node:http';
import { type Served, serve } from '@cohorly/test-support';
import { startTestServer, type TestServer } from '@cohorly/testing';
import express5 from 'express';
import express4 from 'express4';
import { type CohorlyExpressOptions, type CohorlyMiddleware, cohorly } from '../src/index.js';

/**
 * Both supported majors, run by every test of this package. Express 4 is typed as 5 here:
 * the tests only use what both share, and tsconfig.express4.json checks the sources against
 * Express 4's own types.
 */
export const EXPRESS_VERSIONS = [
  { name: 'express 5', express: express5 },
  { name: 'express 4', express: express4 as unknown as typeof express5 },
] as const;

/** The project token every test tracks with. */
export const TOKEN = 'test-token';

/** What one test works with: a Cohorly test server, and a place its resources are freed. */
export interface Harness {
  cohorlyServer: TestServer;
  /** Everything passed to `onError` by middlewares made with {@link Harness.middleware}. */
  errors: unknown[];
  /** `cohorly()` against the test server, reporting to `errors`, closed after the test. */
  middleware(options?: CohorlyExpressOptions): CohorlyMiddleware;
  /** `serve(app)`, closed after the test. */
  serve(app: RequestListener): Promise<Served>;
  /** Frees everything the test made; call it in `afterEach`. */
  cleanup(): Promise<void>;
}

/** Starts a Cohorly test server and keeps track of what must be stopped after the test. */
export async function createHarness(): Promise<Harness> {
  const cohorlyServer = await startTestServer();
  const errors: unknown[] = [];
  const middlewares: CohorlyMiddleware[] = [];
  const servers: Served[] = [];
  return {
    cohorlyServer,
    errors,
    middleware(options = {}) {
      const analytics = cohorly({
        token: TOKEN,
        apiHost: cohorlyServer.url,
        onError: (error) => errors.push(error),
        ...options,
      });
      middlewares.push(analytics);
      return analytics;
    },
    async serve(app) {
      const served = await serve(app);
      servers.push(served);
      return served;
    },
    async cleanup() {
      await Promise.all(servers.map((served) => served.close()));
      await Promise.all(middlewares.map((analytics) => analytics.close({ timeoutMs: 1000 })));
      await cohorlyServer.close();
    },
  };
}

/** The messages of `onError` calls, for assertions. */
export function messagesOf(errors: readonly unknown[]): string[] {
  return errors.map((error) => (error instanceof Error ? error.message : String(error)));
}

/** `/track` request bodies the server received, each as its array of events. */
export function trackBatches(server: TestServer): unknown[][] {
  return server
    .requests()
    .filter((request) => request.path === '/track')
    .map((request) => (Array.isArray(request.json) ? request.json : [request.json]));
}
