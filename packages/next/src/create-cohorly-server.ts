import type { AnyEvents, CloseReport, CohorlyClient, EventCatalog } from '@cohorly/core';
import {
  type IdentityOptions,
  messageOf,
  type RequestAccessor,
  type RequestPropertiesOptions,
  RequestTracker,
  type TrackOptions,
  reportError,
  reportUnknownOptions,
  warnOnError,
} from '@cohorly/server-kit';
import { type CohorlyServer, EMPTY_REPORT } from './cohorly-server.js';
import {
  type CohorlyServerOptions,
  checkOptions,
  SERVER_OPTION_NAMES,
  type DistinctIdResult,
} from './cohorly-server-options.js';
import { keepAlive } from './keep-alive.js';
import { describeControlFlow, isNextControlFlowError } from './next-control-flow.js';
import { nextRequestConfig } from './next-request.js';
import { processState } from './process-state.js';
import { RequestBatch } from './request-batch.js';
import { captureRequestScope, type RequestScope } from './request-scope.js';
import { acquireClient, existingClient, type SharedClient } from './shared-client.js';
import { reportStaticPrerender } from './static-prerender.js';
import { withTimeout } from './with-timeout.js';

/**
 * Creates a configured server-side tracker and makes it the one the bare `trackServer`
 * import uses. Its client is created on first use (so `next build` needs no token) and kept
 * on `globalThis`: servers created with the same project share one client per process.
 *
 * ```ts
 * // instrumentation.ts
 * export function register() {
 *   createCohorlyServer({ getDistinctId: async () => (await auth())?.user?.id });
 * }
 * ```
 */
export function createCohorlyServer<Events extends EventCatalog<Events> = AnyEvents>(
  options: CohorlyServerOptions = {},
): CohorlyServer<Events> {
  checkOptions(options);
  const onError = options.onError ?? warnOnError;
  const report = (error: unknown) => reportError(onError, error);
  reportUnknownOptions(options, SERVER_OPTION_NAMES, 'createCohorlyServer()', onError);
  const flushTimeoutMs = options.flushTimeoutMs ?? 5000;
  const request = nextRequestConfig(options);
  // One batch per request (keyed by its memoized headers() promise): one flush per request.
  const batches = new WeakMap<object, RequestBatch>();
  let shared: SharedClient | undefined;
  /** The last close(): a call made while it runs (SIGTERM and SIGINT, say) waits for it. */
  let lastClose: Promise<CloseReport> | undefined;

  function connection(): SharedClient {
    if (shared) return shared;
    shared = acquireClient(options, onError);
    return shared;
  }

  /**
   * This server's client, or, for a server that never tracked, its project's: after a hot
   * reload (or with instrumentation.ts and a typed lib/ server) the server that queued may be
   * an older one, and this one is what the app can reach, to flush and to close.
   */
  function projectClient(): SharedClient | undefined {
    return shared ?? existingClient(options);
  }

  /**
   * Delivers what is queued, retrying through backoff windows, within `flushTimeoutMs`
   * (counted from now, `before` included); never rejects. It ends once what was queued
   * before it is delivered: under steady traffic the queue is never empty, and each later
   * request's delivery sends its own messages.
   */
  async function deliver(before?: Promise<void>): Promise<void> {
    const deadline = Date.now() + flushTimeoutMs;
    const ready = before ? await withTimeout(before, flushTimeoutMs) : undefined;
    const target = projectClient();
    if (!target) return;
    const timeoutMs = Math.max(deadline - Date.now(), 0);
    const outcome =
      ready === 'timeout'
        ? { drained: false, undelivered: 0 }
        : await target.client.drain({ timeoutMs });
    if (outcome.drained) return;
    // Queued, not delivered: the next flush sends them if the process lives on; at shutdown
    // (SIGTERM under `next start`) there is none, and the exit report counts them as lost.
    const left =
      outcome.undelivered > 0
        ? `; messages still queued: ${outcome.undelivered} (sent with the next flush, lost if the process exits first)`
        : '';
    report(
      new Error(`delivery did not finish within flushTimeoutMs (${flushTimeoutMs} ms)${left}`),
    );
  }

  async function resolveUserId(what: string): Promise<DistinctIdResult> {
    try {
      return await options.getDistinctId?.();
    } catch (error) {
      if (isNextControlFlowError(error)) {
        // Passed on, untouched, through the caller's promise; but a call not awaited (`void
        // trackServer()`) drops that promise, and the redirect with it: say what it cost.
        report(
          new Error(
            `${what} was not sent: getDistinctId() threw ${describeControlFlow(error)}, which only takes effect where the promise trackServer() returns is awaited`,
            { cause: error },
          ),
        );
        throw error;
      }
      report(
        new Error(`getDistinctId() threw, so the anonymous id was used: ${messageOf(error)}`, {
          cause: error,
        }),
      );
      return undefined;
    }
  }

  async function track(
    scope: RequestScope | undefined,
    what: string,
    explicitId: string | undefined,
    use: (tracker: RequestTracker<Events>) => Promise<void>,
  ): Promise<void> {
    const req = scope ? await scope.snapshot : {};
    // An interrupted prerender: no visitor, nothing to track.
    if (req === undefined) return;
    // Before the client: at build time a missing token is the usual line, and the wrong hint.
    if (scope) reportStaticPrerender(what, report);
    let client: CohorlyClient;
    try {
      client = connection().client;
    } catch (error) {
      report(error);
      return;
    }
    if (explicitId === undefined && options.getDistinctId) req.userId = await resolveUserId(what);
    const tracker = new RequestTracker<Events>({
      req,
      client,
      accessor: request.accessor as RequestAccessor<unknown>,
      options: request.options as IdentityOptions<unknown> & RequestPropertiesOptions<unknown>,
      onError,
    });
    await use(tracker);
  }

  /**
   * Tracks with a tracker for the current request and arranges its delivery. Synchronous up
   * to the return, so headers(), cookies() and after() are called where the user called us.
   */
  function dispatch(
    what: string,
    explicitId: string | undefined,
    use: (tracker: RequestTracker<Events>) => Promise<void>,
  ): Promise<void> {
    const scope = captureRequestScope();
    let batch = scope ? batches.get(scope.key) : undefined;
    if (batch?.closed) batch = undefined;
    const first = batch === undefined;
    batch ??= new RequestBatch();
    if (scope && first) batches.set(scope.key, batch);
    const tracking = track(scope, what, explicitId, use);
    batch.add(tracking);
    if (first) {
      const current = batch;
      batch.keptAlive = keepAlive(() => deliver(current.settled()), options.waitUntil);
    }
    if (batch.keptAlive) return tracking;
    // Outside a request, with nothing to keep the function alive: deliver before resolving.
    return tracking.then(() => deliver());
  }

  function explicitIdOf(options: TrackOptions | undefined): string | undefined {
    return typeof options === 'object' && options !== null ? options.distinctId : undefined;
  }

  /**
   * Runs `dispatch`, turning anything but a Next.js control-flow error into onError. `what`
   * names the message in reports, as the tracker's own do (`track "Viewed"`, `alias`).
   */
  function safely(
    what: string,
    explicitId: () => string | undefined,
    use: (tracker: RequestTracker<Events>) => Promise<void>,
  ): Promise<void> {
    try {
      return dispatch(what, explicitId(), use);
    } catch (error) {
      if (isNextControlFlowError(error)) throw error;
      report(error);
      return Promise.resolve();
    }
  }

  const server: CohorlyServer<Events> = {
    trackServer(event, ...args) {
      return safely(
        trackName(event),
        () => explicitIdOf(args[1]),
        (tracker) => tracker.track(event, ...args),
      );
    },
    alias(aliasId, original) {
      return safely(
        'alias',
        () => original,
        (tracker) => tracker.alias(aliasId, original),
      );
    },
    peopleSet(properties, trackOptions) {
      return safely(
        'peopleSet',
        () => explicitIdOf(trackOptions),
        (tracker) => tracker.peopleSet(properties, trackOptions),
      );
    },
    peopleSetOnce(properties, trackOptions) {
      return safely(
        'peopleSetOnce',
        () => explicitIdOf(trackOptions),
        (tracker) => tracker.peopleSetOnce(properties, trackOptions),
      );
    },
    peopleIncrement(properties, trackOptions) {
      return safely(
        'peopleIncrement',
        () => explicitIdOf(trackOptions),
        (tracker) => tracker.peopleIncrement(properties, trackOptions),
      );
    },
    peopleUnset(propertyNames, trackOptions) {
      return safely(
        'peopleUnset',
        () => explicitIdOf(trackOptions),
        (tracker) => tracker.peopleUnset(propertyNames, trackOptions),
      );
    },
    peopleDelete(trackOptions) {
      return safely(
        'peopleDelete',
        () => explicitIdOf(trackOptions),
        (tracker) => tracker.peopleDelete(trackOptions),
      );
    },
    flush() {
      return deliver();
    },
    async close(closeOptions) {
      const state = processState();
      if (state.server === server) state.server = undefined;
      const closing = projectClient();
      shared = undefined;
      // With nothing left to close, a second call reports what the first one delivered,
      // once it has: resolving at once would let a shutdown path exit before it is done.
      if (closing) lastClose = closing.close(closeOptions);
      return lastClose ?? EMPTY_REPORT;
    },
    get client() {
      return connection().client as unknown as CohorlyClient<Events>;
    },
  };
  processState().server = server;
  return server;
}

/**
 * `track "Viewed"`, naming the message in reports as the tracker's own do; never throws,
 * whatever the caller passed as the event.
 */
function trackName(event: unknown): string {
  try {
    return `track "${String(event)}"`;
  } catch {
    return 'track';
  }
}
