import type { AnyEvents, EventCatalog } from '@cohorly/core';
import type { RequestTrackerLike } from '@cohorly/server-kit';
import { currentTracker } from '@cohorly/server-kit/node';

/**
 * The current request's tracker (the same object as `req.cohorly`) from anywhere in the
 * request's async call chain: services, repositories, callbacks. `undefined` outside a
 * request that went through `cohorly()`. Pass your event catalog to have `track` checked:
 * `getRequestCohorly<MyEvents>()`.
 */
export function getRequestCohorly<Events extends EventCatalog<Events> = AnyEvents>():
  | RequestTrackerLike<Events>
  | undefined {
  return currentTracker<Events>();
}
