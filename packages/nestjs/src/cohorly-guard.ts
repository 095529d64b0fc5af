import type { CohorlyIntegration } from '@cohorly/server-kit';
import { reportError } from '@cohorly/server-kit';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { openHandlerRequest } from './handler-request.js';
import type { NestRequestState } from './request-state.js';
import { COHORLY_INTEGRATION } from './tokens.js';

/**
 * Registered globally by `CohorlyModule`; it lets every request through. Nest runs global
 * guards before controller and route guards, and interceptors only after all guards, so this
 * is the earliest point where the platform's request (Fastify's `FastifyRequest`, on which
 * guards set `req.user`) can be handed to the request's tracker: events tracked in your
 * `@UseGuards()` guards are then resolved against it, as they are in handlers.
 */
export class CohorlyGuard implements CanActivate {
  /** Created by Nest, with the module's integration. */
  constructor(private readonly integration: CohorlyIntegration<NestRequestState>) {}

  /** Hands the platform's request to the request's tracker; always `true`. */
  canActivate(context: ExecutionContext): true {
    if (context.getType() !== 'http') return true;
    try {
      openHandlerRequest(this.integration, context);
    } catch (error) {
      // Analytics never refuses or fails a request: the interceptor tries again, and the
      // failure goes to onError.
      reportError(this.integration.onError, error);
    }
    return true;
  }
}
Injectable()(CohorlyGuard);
Inject(COHORLY_INTEGRATION)(CohorlyGuard, undefined, 0);
