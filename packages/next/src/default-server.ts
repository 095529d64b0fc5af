import type { AnyEvents, EventCatalog } from '@cohorly/core';
import type { TrackerArgs } from '@cohorly/server-kit';
import type { CohorlyServer } from './cohorly-server.js';
import { createCohorlyServer } from './create-cohorly-server.js';
import { processState } from './process-state.js';

/**
 * The process's server: the one `createCohorlyServer()` made last (in `instrumentation.ts`,
 * say), else one configured from `COHORLY_TOKEN` and `COHORLY_API_HOST`, created now.
 */
export function getCohorlyServer<
  Events extends EventCatalog<Events> = AnyEvents,
>(): CohorlyServer<Events> {
  const existing = processState().server as CohorlyServer<Events> | undefined;
  return existing ?? createCohorlyServer<Events>();
}

/**
 * Tracks an event from server code with no setup beyond `COHORLY_TOKEN` (and
 * `COHORLY_API_HOST`): the user is `options.distinctId`, else `getDistinctId()` of a server
 * you created, else the anonymous-id cookie. Inside a request the event is delivered after
 * the response is sent; outside one, the promise resolves once it is delivered. Never
 * rejects, except with a Next.js control-flow error.
 *
 * ```ts
 * import { trackServer } from '@cohorly/next';
 * await trackServer('Signed Up', { plan: 'pro' }, { distinctId: user.id });
 * ```
 */
export function trackServer<E extends string>(
  event: E,
  ...args: TrackerArgs<AnyEvents, E>
): Promise<void> {
  return getCohorlyServer().trackServer(event, ...args);
}
