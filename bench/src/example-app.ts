import type { RequestListener } from 'node:http';
import { createRawMiddleware } from './raw-middleware.js';

/** The parts of `apps/express-example` the `express-app` scenario runs. */
export interface ExampleApp {
  /** The shop's Cohorly middleware, as its `server.ts` creates it. */
  createAnalytics(overrides: {
    token: string;
    apiHost: string;
    flush?: 'coalesced' | 'on-close' | 'none';
  }): ExampleAnalytics;
  /** The shop itself; `analytics: undefined` is the shop without Cohorly. */
  createApp(options: {
    analytics: ExampleAnalytics | undefined;
    exportRowDelayMs: number;
  }): RequestListener;
}

/** `@cohorly/express`'s middleware, as far as the bench uses it. */
export interface ExampleAnalytics {
  close(options: { timeoutMs: number }): Promise<{ sent: number; undelivered: number }>;
}

/**
 * The shop's tracking in one bench variant: `none` nothing (the bare shop), `raw` the floor of
 * any SDK (`raw-middleware.ts`), anything else its own `@cohorly/express` middleware, with
 * `flush` when given (else the shop's default).
 */
export function shopAnalytics(
  example: ExampleApp,
  variant: string,
  sinkUrl: string,
  flush?: 'coalesced' | 'on-close' | 'none',
): ExampleAnalytics | undefined {
  if (variant === 'none') return undefined;
  if (variant === 'raw') return createRawMiddleware(sinkUrl);
  return example.createAnalytics({
    token: 'bench-token',
    apiHost: sinkUrl,
    ...(flush ? { flush } : {}),
  });
}

/** The route the scenario drives: it tracks `Products Viewed` once per request. */
export const EXAMPLE_PATH = '/products';

/**
 * A signed-in customer (the shop's `Authorization: Bearer <user id>`), so that every event
 * has a distinct id, as in production.
 */
export const EXAMPLE_HEADERS = { authorization: 'Bearer u_bench_customer' };

/**
 * Loads the built example app (a devDependency, so that turbo builds it before the bench).
 * It has no type declarations of its own; {@link ExampleApp} states what is used.
 */
export async function loadExampleApp(): Promise<ExampleApp> {
  const dist = new URL('../node_modules/@cohorly/express-example/dist/', import.meta.url);
  const [app, analytics] = await Promise.all([
    import(new URL('app.js', dist).href),
    import(new URL('analytics.js', dist).href),
  ]);
  return { createApp: app.createApp, createAnalytics: analytics.createAnalytics };
}
