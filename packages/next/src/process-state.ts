import type { FetchLike } from '@cohorly/core';
import type { SharedClient } from './shared-client.js';

/** What `@cohorly/next` keeps once per process (per isolate on the edge). */
export interface ProcessState {
  /** The server `trackServer` (the bare import) uses: the last one created. */
  server?: unknown;
  /**
   * The shared clients, by project (token, host, batching, `fetch`) or by the client a user
   * passed.
   */
  clients: Map<unknown, SharedClient>;
  /** A number for each `fetch` option, part of the project key (added later: optional). */
  fetchIds?: WeakMap<FetchLike, number>;
  /** The last number given to a `fetch` option. */
  lastFetchId?: number;
  /** True once the process-exit report is registered (Node.js runtime only): once per process. */
  exitReport?: boolean;
  /** True once a `trackServer()` during a static prerender of `next build` was reported. */
  staticPrerenderReported?: boolean;
}

// Next.js bundles instrumentation.ts and each route separately, so module state would be
// duplicated; a registered symbol on globalThis is the same in every bundle and every copy
// of this package.
const STATE = Symbol.for('@cohorly/next/process-state@1');

/** The process-wide state, created on first use. */
export function processState(): ProcessState {
  const holder = globalThis as { [STATE]?: ProcessState };
  holder[STATE] ??= { clients: new Map() };
  return holder[STATE];
}
