import type { ServerResponse } from 'node:http';
import type { CohorlyIntegration, RequestTracker } from '@cohorly/server-kit';
import { flushOnResponseClose } from '@cohorly/server-kit/node';
import type { NestRequestState, RawRequest } from './request-state.js';

/** A request the module is following: its state and its tracker. */
export interface ActiveRequest {
  /** What is known of the request (more once the module's guard has run). */
  readonly state: NestRequestState;
  /** The request's tracker: the current one throughout its handling. */
  readonly tracker: RequestTracker;
}

// Keyed by the Node request, which the middleware, the guard and the interceptor can reach on
// either platform; weak, so a finished request is simply forgotten.
const active = new WeakMap<object, ActiveRequest>();

/**
 * Starts following a request, once: a tracker from the server-kit, and in `'on-close'` mode
 * its flush when the Node response closes (finished, or abandoned by the client). A request
 * `ignore` excludes gets a tracker that sends nothing, so code that tracks on every request
 * needs no special case.
 */
export function openRequest(
  integration: CohorlyIntegration<NestRequestState>,
  raw: RawRequest,
  response: ServerResponse,
): ActiveRequest {
  const known = active.get(raw);
  if (known) return known;
  const state: NestRequestState = { raw, request: undefined, context: undefined };
  let tracker: RequestTracker;
  if (integration.ignores(state)) {
    tracker = integration.ignored(state);
  } else {
    const scope = integration.begin(state);
    tracker = scope.tracker;
    flushOnResponseClose(integration, scope, response);
  }
  const entry: ActiveRequest = { state, tracker };
  active.set(raw, entry);
  return entry;
}
