import type { CohorlyIntegration } from '@cohorly/server-kit';
import type { ExecutionContext } from '@nestjs/common';
import { type ActiveRequest, openRequest } from './active-requests.js';
import type { CohorlyRequest } from './cohorly-request.js';
import { type NestRequestState, rawRequestOf, rawResponseOf } from './request-state.js';

/** The request behind an HTTP handler's context, and the platform's request object. */
export interface HandlerRequest {
  /** The request the module follows, now holding the platform's request and the context. */
  readonly active: ActiveRequest;
  /** The platform's request (Express's `Request`, Fastify's `FastifyRequest`). */
  readonly request: CohorlyRequest;
}

/**
 * Hands the platform's request and the handler's context of an HTTP `context` to the state of
 * the request behind it, so that identity is resolved against the request guards set
 * `req.user` on. On Fastify that is not the Node request the middleware saw: until this has
 * run, `identify(req)` would find no user there. Done by the module's global guard (the first
 * point after the middleware where Nest hands out the platform's request) and again by its
 * interceptor (for a request the guard did not see). `undefined` when the context has no HTTP
 * request behind it: Nest's `ExternalContextCreator` gives handlers it calls outside HTTP
 * (library message handlers, code in `createApplicationContext`) the type `'http'` by default,
 * with their own arguments as "request" and "response".
 */
export function openHandlerRequest(
  integration: CohorlyIntegration<NestRequestState>,
  context: ExecutionContext,
): HandlerRequest | undefined {
  const http = context.switchToHttp();
  const request = http.getRequest<unknown>();
  const raw = rawRequestOf(request);
  const response = rawResponseOf(http.getResponse<unknown>());
  if (!raw || !response) return undefined;
  // The middleware opened it already; opening here too covers routes it did not reach.
  const active = openRequest(integration, raw, response);
  active.state.request = request as CohorlyRequest;
  active.state.context = context;
  return { active, request: request as CohorlyRequest };
}
