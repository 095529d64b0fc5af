import type { CloseOptions, CloseReport, CohorlyClient, FetchLike } from '@cohorly/core';
import {
  type ClientOptions,
  type ErrorHandler,
  readEnv,
  reportError,
  resolveClient,
} from '@cohorly/server-kit';
import { defaultFetch } from './default-fetch.js';
import { reportLossAtExit } from './exit-report.js';
import { processState } from './process-state.js';

/** A client shared by every server of the process configured with the same project. */
export interface SharedClient {
  /** The client. */
  readonly client: CohorlyClient;
  /** Where its failures go: the `onError` of the server created last with this project. */
  onError: ErrorHandler;
  /** Delivers what is queued within `timeoutMs`, stops the client and forgets it. */
  close(options?: CloseOptions): Promise<CloseReport>;
}

/**
 * A number for each `fetch` option seen, so that servers with different transports (a proxy,
 * a custom CA) never share a client; `0` for none.
 */
function fetchId(fetch: FetchLike | undefined): number {
  if (!fetch) return 0;
  const state = processState();
  state.fetchIds ??= new WeakMap();
  let id = state.fetchIds.get(fetch);
  if (id === undefined) {
    id = (state.lastFetchId ?? 0) + 1;
    state.lastFetchId = id;
    state.fetchIds.set(fetch, id);
  }
  return id;
}

/** The shared client for these options if one exists, without creating one. */
export function existingClient(options: ClientOptions): SharedClient | undefined {
  return processState().clients.get(projectOf(options).key);
}

/**
 * The token and host these options resolve to, and the key of the client they share: the
 * user's client, or the project (token, host, batching, `fetch`).
 */
function projectOf(options: ClientOptions): {
  token: string | undefined;
  apiHost: string | undefined;
  key: unknown;
} {
  const token = options.token ?? readEnv('COHORLY_TOKEN');
  const apiHost = options.apiHost ?? readEnv('COHORLY_API_HOST');
  const key =
    options.client ?? JSON.stringify([token, apiHost, options.batching, fetchId(options.fetch)]);
  return { token, apiHost, key };
}

/**
 * The process's client for these options, created on first use and kept on `globalThis`, so
 * that `instrumentation.ts`, every route bundle and a module re-evaluated by hot reload all
 * share one buffer and one flush. Throws when no project token can be found.
 */
export function acquireClient(options: ClientOptions, onError: ErrorHandler): SharedClient {
  const { clients } = processState();
  const { token, apiHost, key } = projectOf(options);
  const existing = clients.get(key);
  if (existing) {
    existing.onError = onError;
    return existing;
  }
  const report: ErrorHandler = (error) => reportError(shared.onError, error);
  // Your `client` or `fetch` wins; otherwise the runtime's fastest transport.
  const fetch = options.client || options.fetch ? options.fetch : defaultFetch();
  const resolved = resolveClient(
    { client: options.client, token, apiHost, batching: options.batching, fetch },
    'createCohorlyServer()',
    report,
  );
  const shared: SharedClient = {
    client: resolved.client,
    onError,
    close(closeOptions) {
      if (clients.get(key) === shared) clients.delete(key);
      return resolved.close(closeOptions);
    },
  };
  clients.set(key, shared);
  // What a delivery that gave up (flushTimeoutMs) left queued is reported if the process ends.
  reportLossAtExit();
  return shared;
}
