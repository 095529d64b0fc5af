import type { CohorlyIntegration } from '@cohorly/server-kit';
import { ignoreRejection, isThenable, messageOf, reportError } from '@cohorly/server-kit';
import { runWithTracker } from '@cohorly/server-kit/node';
import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { Observable } from 'rxjs';
import type { ActiveRequest } from './active-requests.js';
import type { CohorlyRequest } from './cohorly-request.js';
import { type HandlerRequest, openHandlerRequest } from './handler-request.js';
import type { NestRequestState } from './request-state.js';
import { COHORLY_INTEGRATION } from './tokens.js';
import { type TrackSpec, trackSpecsOf } from './track.js';

/**
 * Registered globally by `CohorlyModule`. It hands the platform's request (with `req.user`)
 * and the handler's context to the request's tracker (the module's guard has done so already,
 * unless it failed or was overridden: doing it again costs one lookup), runs the handler with
 * that tracker current, and tracks the handler's `@Track` events once the handler has
 * succeeded. A handler with no HTTP request behind it (called through Nest's
 * `ExternalContextCreator`, whose default context type is `'http'`) simply runs.
 */
export class CohorlyInterceptor implements NestInterceptor {
  /** Created by Nest, with the module's integration. */
  constructor(private readonly integration: CohorlyIntegration<NestRequestState>) {}

  /** Runs the handler with the request's tracker current; tracks `@Track` on success. */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    let handler: HandlerRequest | undefined;
    let specs: readonly TrackSpec[];
    try {
      handler = openHandlerRequest(this.integration, context);
      specs = trackSpecsOf(context.getHandler());
    } catch (error) {
      // Analytics never stops a handler from running: the failure goes to onError.
      reportError(this.integration.onError, error);
      return next.handle();
    }
    if (!handler) return next.handle();
    const { active, request } = handler;

    return new Observable((subscriber) =>
      // `handle()` is called inside `run()`: Nest binds the handler to the async context of
      // that call, so the tracker is current in the handler even where something between the
      // middleware and here lost the async context.
      runWithTracker(active.tracker, () => {
        let result: unknown;
        return next.handle().subscribe({
          next: (value) => {
            result = value;
            subscriber.next(value);
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            // Before the response is written, so the events are queued when the response
            // closes and its flush runs.
            for (const spec of specs) this.trackSuccess(active, spec, request, result);
            subscriber.complete();
          },
        });
      }),
    );
  }

  private trackSuccess(
    active: ActiveRequest,
    spec: TrackSpec,
    request: CohorlyRequest,
    result: unknown,
  ): void {
    let properties: ReturnType<NonNullable<TrackSpec['properties']>>;
    try {
      properties = spec.properties?.(request, result);
    } catch (error) {
      const reason = messageOf(error);
      this.notSent(spec, `its properties() threw: ${reason}`, error);
      return;
    }
    if (isThenable(properties)) {
      // An `async` properties(): its rejection must not end the process.
      ignoreRejection(properties);
      this.notSent(
        spec,
        "its properties() returned a Promise: it must return the properties synchronously (it receives the handler's result, already resolved)",
      );
      return;
    }
    // Never rejects: delivery failures go to onError.
    void active.tracker.track(spec.event, properties);
  }

  /** Reports `spec`'s event as not sent; `cause` keeps the user's own error and its stack. */
  private notSent(spec: TrackSpec, reason: string, cause?: unknown): void {
    reportError(
      this.integration.onError,
      new Error(
        `@Track("${spec.event}") was not sent: ${reason}`,
        cause === undefined ? undefined : { cause },
      ),
    );
  }
}
Injectable()(CohorlyInterceptor);
Inject(COHORLY_INTEGRATION)(CohorlyInterceptor, undefined, 0);
