import { isTimerMs, MAX_TIMER_MS, type Properties } from '@cohorly/core';
import {
  checkIntegrationOptions,
  describeValue,
  type IntegrationOptions,
} from '@cohorly/server-kit';
import { withNodeFetch } from '@cohorly/server-kit/node';
import type { ExecutionContext } from '@nestjs/common';
import type { CohorlyRequest } from './cohorly-request.js';
import { type NestRequestState, requestOf, withOriginalUrl } from './request-state.js';

/**
 * Options of `CohorlyModule.forRoot()` (and what `forRootAsync()`'s factory returns): the
 * same as every Cohorly server integration's — the client (`client`, or `token` and `apiHost`
 * defaulting to the `COHORLY_TOKEN` and `COHORLY_API_HOST` environment variables), identity
 * (`identify`, `anonymousId`), request properties (`capture`, `superProperties`), `ignore`,
 * the flush policy (`flush`), `onError` — plus the shutdown deadline.
 */
export interface CohorlyModuleOptions
  extends Omit<IntegrationOptions<CohorlyRequest>, 'identify' | 'ignore' | 'superProperties'> {
  // The callbacks are declared as methods, whose parameters TypeScript checks both ways: you
  // may annotate `req` with your platform's own request type (Express `Request`,
  // `FastifyRequest`).

  /**
   * Returns the signed-in user's distinct id, or nothing for an anonymous request. It is
   * called when an event is tracked, so what your guards set (`req.user`) is there; `context`
   * is the route handler's execution context, `undefined` in middleware.
   * @default none (the anonymous id, else no event)
   */
  identify?(
    req: CohorlyRequest,
    context: ExecutionContext | undefined,
  ): string | number | null | undefined;
  /**
   * Requests to leave alone (health checks, metrics): nothing they track is sent, and they
   * cause no flush. Runs in the module's middleware, before routing and guards: on Fastify
   * `req` is the Node request there (`headers`, `url`, `method`), with `url` as sent. It must
   * answer synchronously: a Promise (from an `async` function) ignores nothing, and `onError`
   * says so once; one that throws ignores nothing either, and is reported.
   * @default none
   */
  ignore?(req: CohorlyRequest): boolean;
  /**
   * Extra properties for every event of a request (a tenant, a plan), returned synchronously.
   * Event properties win over them. The keys the SDK sets on each event (`token`,
   * `distinct_id`, `time`, `$insert_id`, `$lib`, `$lib_version`) are left out, and `onError`
   * says so once.
   * @default none
   */
  superProperties?(req: CohorlyRequest): Properties | undefined;
  /**
   * How long the final flush in `onApplicationShutdown` may take, in milliseconds. What is
   * still undelivered then is reported to `onError`.
   * @default 5000
   */
  shutdownTimeoutMs?: number;
}

/** The default of {@link CohorlyModuleOptions.shutdownTimeoutMs}. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

/**
 * The server-kit's options for these module options: the user's callbacks get the platform's
 * request (and the handler's context), never called outside a request.
 */
export function toIntegrationOptions(
  options: CohorlyModuleOptions,
): IntegrationOptions<NestRequestState> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `CohorlyModule: the options (of forRoot(), or returned by forRootAsync()'s useFactory) must be an object, got ${String(options)}`,
    );
  }
  // Checked here, at startup, before the callbacks are wrapped into functions.
  checkIntegrationOptions(options as IntegrationOptions<never>, 'CohorlyModule');
  const timeout = options.shutdownTimeoutMs;
  if (timeout !== undefined && !isTimerMs(timeout)) {
    // A string from a config service would otherwise fail the final flush at shutdown,
    // losing every queued event.
    throw new TypeError(
      `CohorlyModule: shutdownTimeoutMs must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${describeValue(timeout)}`,
    );
  }
  const { identify, ignore, superProperties, shutdownTimeoutMs: _, ...shared } = options;
  return {
    ...withNodeFetch(shared),
    identify:
      identify &&
      ((state) => {
        const req = requestOf(state);
        return req ? identify(req, state.context) : undefined;
      }),
    ignore:
      ignore &&
      ((state) => {
        const req = requestOf(state);
        return req ? ignore(withOriginalUrl(req)) : false;
      }),
    superProperties:
      superProperties &&
      ((state) => {
        const req = requestOf(state);
        return req ? superProperties(req) : undefined;
      }),
  };
}
