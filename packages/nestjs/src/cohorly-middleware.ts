import type { ServerResponse } from 'node:http';
import type { CohorlyIntegration } from '@cohorly/server-kit';
import { runWithTracker } from '@cohorly/server-kit/node';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { openRequest } from './active-requests.js';
import type { NestRequestState, RawRequest } from './request-state.js';
import { COHORLY_INTEGRATION } from './tokens.js';

/**
 * Applied by `CohorlyModule` to every route: gives the request its tracker, current for
 * everything that runs after it (guards, interceptors, the handler, the services it calls);
 * its events are flushed as the `flush` option says (soon after tracking by default, when
 * the response closes with `'on-close'`). Both platforms hand Nest middleware the Node
 * request and response.
 */
export class CohorlyMiddleware implements NestMiddleware<RawRequest, ServerResponse> {
  /** Created by Nest, with the module's integration. */
  constructor(private readonly integration: CohorlyIntegration<NestRequestState>) {}

  /** Opens the request and runs the rest of the chain with its tracker current. */
  use(req: RawRequest, res: ServerResponse, next: (error?: unknown) => void): void {
    const { tracker } = openRequest(this.integration, req, res);
    // `run()`, not `enterWith()`: the tracker is visible to everything `next` starts, and to
    // nothing else.
    runWithTracker(tracker, next);
  }
}
// Decorators applied as calls (as @sentry/nestjs does): the built package then needs no
// compiler support for decorators nor emitted design types to be injectable.
Injectable()(CohorlyMiddleware);
Inject(COHORLY_INTEGRATION)(CohorlyMiddleware, undefined, 0);
