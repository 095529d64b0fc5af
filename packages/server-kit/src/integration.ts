import {
  type AnyEvents,
  type CloseOptions,
  type CloseReport,
  type CohorlyClient,
  type EventCatalog,
  isTimerMs,
  MAX_TIMER_MS,
} from '@cohorly/core';
import { checkIntegrationOptions, INTEGRATION_OPTION_NAMES } from './check-integration-options.js';
import { callbackThrew, describeValue, ignoreRejection, isThenable } from './describe-value.js';
import { FlushCoalescer } from './flush-coalescer.js';
import type { IdentityOptions } from './identity.js';
import { type ErrorHandler, reportError, warnOnError } from './report-error.js';
import { reportUnknownOptions } from './unknown-options.js';
import type { RequestAccessor } from './request-accessor.js';
import type { RequestPropertiesOptions } from './request-properties.js';
import { RequestTracker, type TrackerScope } from './request-tracker.js';
import { type ClientOptions, resolveClient } from './resolve-client.js';

/**
 * When a request's events are flushed:
 * - `'coalesced'`: soon after they are tracked, sharing one flush with the events of the
 *   requests around them (50 ms debounce, at most 500 ms), so by the time a response has
 *   closed its events are on their way or already delivered.
 * - `'on-close'`: at once when the response closes (serverless, where the instance may be
 *   frozen right after).
 * - `'none'`: left to the client's own batching (a full batch, or its flush interval).
 */
export type FlushMode = 'coalesced' | 'on-close' | 'none';

/** The options every framework integration takes. */
export interface IntegrationOptions<Req>
  extends ClientOptions,
    IdentityOptions<Req>,
    RequestPropertiesOptions<Req> {
  /**
   * Requests to leave alone (health checks, metrics): no tracker, no flush. Called for every
   * request, synchronously: a Promise (from an `async` function) ignores nothing, and
   * `onError` says so once. One that throws ignores nothing either, and is reported.
   * @default none
   */
  ignore?: (req: Req) => boolean;
  /**
   * When a request's events are flushed.
   * @default "coalesced"
   */
  flush?: FlushMode;
  /**
   * Receives every analytics failure: delivery errors, dropped messages, events without a
   * distinct id. Never the response, never an unhandled rejection. With your own `client`,
   * its consumer's delivery errors and drops go to that consumer's `onError` instead, and
   * only there.
   * @default a one-line console.warn
   */
  onError?: ErrorHandler;
}

/** What a framework package's runtime gives the integration, beyond reading requests. */
export interface IntegrationRuntime {
  /**
   * Runs `fn` outside any request's async context (`outsideRequest` from
   * `@cohorly/server-kit/node`), so that the integration's background flushes belong to no
   * request.
   * @default none: background work runs in the context of the request that started it
   */
  outsideRequest?: <T>(fn: () => T) => T;
  /**
   * The names of the framework's own options, beyond the integration's (NestJS's
   * `shutdownTimeoutMs`), so that an option nobody knows is named with the one it most likely
   * meant among them too.
   * @default none
   */
  optionNames?: readonly string[];
}

/** The state of one request, as the flush policy sees it. */
export interface RequestScope<Events extends EventCatalog<Events> = AnyEvents> {
  /** The request's tracker. */
  tracker: RequestTracker<Events>;
  /**
   * Call when the response has closed (finished, or aborted by the client). Only
   * `'on-close'` mode acts on it: see {@link CohorlyIntegration.flushesOnClose}.
   */
  closed(): void;
}

/**
 * What a framework package builds on: the client, the flush policy, and a tracker per
 * request. The framework adapts requests to it through a {@link RequestAccessor}.
 */
export class CohorlyIntegration<Req> {
  /** The client events are tracked with. */
  readonly client: CohorlyClient;
  /** The error handler in force, shielded: it never throws, and its promise never goes unobserved. */
  readonly onError: ErrorHandler;
  /**
   * True in `'on-close'` mode, the only one in which `closed()` does anything: a framework
   * listens for each response's close only then. In `'coalesced'` mode the flush is asked for
   * as each event is tracked, so no listener is needed; on Express a listener on every
   * response costs about 10,000 instructions per request (bench/README.md, "Express").
   */
  readonly flushesOnClose: boolean;
  private readonly closeClient: (options?: CloseOptions) => Promise<CloseReport>;
  private readonly coalescer: FlushCoalescer;
  private readonly mode: FlushMode;
  /** Runs a function outside any request's async context, when the framework can. */
  private readonly outsideRequest: IntegrationRuntime['outsideRequest'];
  /** Whether an `ignore` that returned a Promise was reported: it is said once. */
  private asyncIgnoreReported = false;

  constructor(
    private readonly options: IntegrationOptions<Req>,
    private readonly accessor: RequestAccessor<Req>,
    private readonly name: string,
    runtime: IntegrationRuntime = {},
  ) {
    checkIntegrationOptions(options, name);
    this.outsideRequest = runtime.outsideRequest;
    const mode = options.flush ?? 'coalesced';
    if (mode !== 'coalesced' && mode !== 'on-close' && mode !== 'none') {
      throw new TypeError(
        `${name}: flush must be 'coalesced', 'on-close' or 'none', got ${JSON.stringify(mode)}`,
      );
    }
    this.mode = mode;
    this.flushesOnClose = mode === 'on-close';
    const onError = options.onError ?? warnOnError;
    // Every report goes through reportError: a handler that throws or rejects must never
    // reach the request (or become an unhandled rejection), wherever it is called from.
    this.onError = (error) => reportError(onError, error);
    reportUnknownOptions(
      options,
      [...INTEGRATION_OPTION_NAMES, ...(runtime.optionNames ?? [])],
      name,
      this.onError,
    );
    const resolved = resolveClient(options, name, this.onError);
    this.client = resolved.client;
    this.closeClient = resolved.close;
    // A flush's rejection is never reported here: the consumer has reported each failure
    // already, to this onError for a client created here, to its own onError for a user's
    // client (which is where its failures go "instead"). Reported again, each would be said
    // twice.
    this.coalescer = new FlushCoalescer(() => this.client.flush(), {
      detach: runtime.outsideRequest,
    });
  }

  /**
   * True for requests `ignore(req)` excludes. An `ignore` that throws or returns a Promise
   * ignores nothing, and is reported to `onError` (a Promise once).
   */
  ignores(req: Req): boolean {
    const ignore = this.options.ignore;
    if (!ignore) return false;
    let ignored: unknown;
    try {
      ignored = ignore(req);
    } catch (error) {
      this.onError(callbackThrew('ignore(req)', error, '; the request is tracked'));
      return false;
    }
    // A Promise is truthy: an `async` ignore would leave every request alone, and not one
    // event would be sent, without a word. It is a configuration mistake that repeats on every
    // request and loses nothing once refused, so it is said once, not per request.
    if (isThenable(ignored)) {
      ignoreRejection(ignored);
      if (!this.asyncIgnoreReported) {
        this.asyncIgnoreReported = true;
        this.onError(
          new TypeError(
            `${this.name}: ignore(req) returned a Promise: it must return synchronously (true to leave the request alone); every request is tracked instead; said once`,
          ),
        );
      }
      return false;
    }
    // Truthy, not `=== true`: from plain JS, `ignore: (req) => req.path.match(/^\/health/)`
    // must ignore what it matches.
    return Boolean(ignored);
  }

  /** A tracker for `req`, and the hook to call when its response closes. */
  begin<Events extends EventCatalog<Events> = AnyEvents>(req: Req): RequestScope<Events> {
    if (this.mode !== 'on-close') {
      // 'coalesced' asks for its flush as each event is tracked: the coalescer arms one timer
      // for them all, and events tracked after the response closed (background work) are
      // covered the same way. 'none' leaves delivery to the client's batching.
      const onTracked = this.mode === 'coalesced' ? this.requestFlush : undefined;
      return { tracker: this.tracker<Events>(req, { onTracked }), closed: ignoreClose };
    }
    let tracked = false;
    let closed = false;
    const tracker = this.tracker<Events>(req, {
      onTracked: () => {
        tracked = true;
        // Events tracked after the response closed (background work) are flushed too.
        if (closed) void this.coalescer.now();
      },
    });
    return {
      tracker,
      closed: () => {
        if (closed) return;
        closed = true;
        if (tracked) void this.coalescer.now();
      },
    };
  }

  /**
   * A tracker for a request `ignores(req)` excluded: it sends nothing and reports nothing,
   * so handlers and middleware that track on every request need no special case.
   */
  ignored<Events extends EventCatalog<Events> = AnyEvents>(req: Req): RequestTracker<Events> {
    return this.tracker<Events>(req, { discard: true });
  }

  /** Flushes now (single-flight with the coalesced flushes); never rejects. */
  flush(): Promise<void> {
    return this.coalescer.now();
  }

  /**
   * Delivers everything within `timeoutMs` and stops the client. Call it on shutdown
   * (SIGTERM): `await integration.close()`. Never rejects: a bad `timeoutMs` is reported to
   * `onError`, and the default (10 s) is used.
   */
  close(options?: CloseOptions): Promise<CloseReport> {
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && !isTimerMs(timeoutMs)) {
      // At shutdown a rejection would lose every queued event: say so, and deliver anyway.
      this.onError(
        new TypeError(
          `close: timeoutMs must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${describeValue(timeoutMs)}; closing within the default 10000 ms instead`,
        ),
      );
      return this.closeClient({ ...options, timeoutMs: undefined });
    }
    return this.closeClient(options);
  }

  private readonly requestFlush = (): void => this.coalescer.request();

  /** Every tracker's scope has the same keys, so V8 sees one shape at each access. */
  private tracker<Events extends EventCatalog<Events>>(
    req: Req,
    { onTracked, discard = false }: Pick<TrackerScope<unknown>, 'onTracked' | 'discard'>,
  ): RequestTracker<Events> {
    return new RequestTracker<Events>({
      req,
      client: this.client,
      accessor: this.accessor as RequestAccessor<unknown>,
      options: this.options as IntegrationOptions<unknown>,
      onError: this.onError,
      onTracked,
      discard,
      outsideRequest: this.outsideRequest,
    });
  }
}

const ignoreClose = (): void => undefined;
