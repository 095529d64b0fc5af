import type { CohorlyIntegration } from '@cohorly/server-kit';
import { reportError } from '@cohorly/server-kit';
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
import { openHandlerRequest } from './handler-request.js';
import type { NestRequestState } from './request-state.js';
import { COHORLY_INTEGRATION } from './tokens.js';
import { type TrackSpec, trackSpecOf } from './track.js';

/**
 * Registered globally by `CohorlyModule`. It hands the platform's request (with `req.user`)
 * and the handler's context to the request's tracker (the module's guard has done so already,
 * unless it failed or was overridden: doing it again costs one lookup), runs the handler with
 * that tracker current, and tracks the handler's `@Track` event once the handler has
 * succeeded.
 */
export class CohorlyInterceptor implements NestInterceptor {
  /** Created by Nest, with the module's integration. */
  constructor(private readonly integration: CohorlyIntegration<NestRequestState>) {}

  /** Runs the handler with the request's tracker current; tracks `@Track` on success. */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const { active, request } = openHandlerRequest(this.integration, context);
    const spec = trackSpecOf(context.getHandler());

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
            // Before the response is written, so the event is queued when the response
            // closes and its flush runs.
            if (spec) this.trackSuccess(active, spec, request, result);
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
      const reason = error instanceof Error ? error.message : String(error);
      reportError(
        this.integration.onError,
        new Error(`@Track("${spec.event}") was not sent: its properties() threw: ${reason}`),
      );
      return;
    }
    // Never rejects: delivery failures go to onError.
    void active.tracker.track(spec.event, properties);
  }
}
Injectable()(CohorlyInterceptor);
Inject(COHORLY_INTEGRATION)(CohorlyInterceptor, undefined, 0);
