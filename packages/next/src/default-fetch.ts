import type { FetchLike } from '@cohorly/core';
import { onBunOrDeno } from '@cohorly/server-kit';

/**
 * The `fetch` the client `@cohorly/next` creates for itself sends with: on Next.js's Node.js
 * runtime on Node.js, `createNodeFetch()` from `@cohorly/server-kit/node` (`node:http`,
 * keep-alive); elsewhere (the edge runtime, Bun or Deno, or no Next.js at all) `undefined`,
 * which leaves the core's default, `globalThis.fetch`.
 *
 * Why: on Node.js the global fetch is undici, wrapped by Next.js's patched fetch (tracing,
 * cache machinery), and costs about three times the CPU per event of `node:http` (measured
 * in `bench/`). The edge runtime has no `node:http`, so it must never reach an edge bundle.
 */
export function defaultFetch(): FetchLike | undefined {
  try {
    // Keep this condition literal: Next.js replaces `process.env.NEXT_RUNTIME` with "nodejs"
    // or "edge" when it bundles, so in the edge bundle the branch is dead and the bundler
    // never follows the import to `node:http` (the pattern of Next.js's instrumentation docs
    // and @sentry/nextjs). The import is dynamic because client creation is synchronous.
    // Not on Bun or Deno (`bun --bun next start`): their global fetch honours HTTP_PROXY,
    // where their node:http does not, and costs no more there.
    if (process.env.NEXT_RUNTIME === 'nodejs' && !onBunOrDeno()) {
      return lazyFetch(async () => (await import('@cohorly/server-kit/node')).createNodeFetch());
    }
  } catch {
    // No `process` at all: an edge runtime bundled without Next.js's replacement.
  }
  return undefined;
}

/**
 * A `fetch` that calls `load()` on its first request (once, whatever happens) and sends every
 * request with what it resolves to; with `globalThis.fetch` when it fails, so a transport
 * that cannot load costs speed, never events, and never an unhandled rejection.
 */
export function lazyFetch(load: () => Promise<FetchLike>): FetchLike {
  let loading: Promise<FetchLike> | undefined;
  return (input, init) => {
    loading ??= Promise.resolve()
      .then(load)
      .catch((): FetchLike => (url, options) => globalThis.fetch(url, options));
    return loading.then((fetch) => fetch(input, init));
  };
}
