import type { CohorlyIntegration, RequestScope } from './integration.js';

/** What {@link flushOnResponseClose} needs of a Node response (`http.ServerResponse`). */
export interface ClosingResponse {
  /** True once the response has closed. */
  readonly closed: boolean;
  on(event: 'close', listener: () => void): unknown;
}

/**
 * Tells the request's scope when its response closes (finished, or aborted by the client),
 * in the flush modes that act on it (`'on-close'`) and only then: `'coalesced'` asks for its
 * flush as events are tracked, and a listener on every response costs about 10,000
 * instructions per request on Express (bench/README.md, "Express"). `on`, not `once`: 'close'
 * fires once, `closed()` ignores a second call, and `once`'s wrapper and its removal cost
 * inline-cache misses on every request.
 */
export function flushOnResponseClose(
  integration: Pick<CohorlyIntegration<unknown>, 'flushesOnClose'>,
  scope: Pick<RequestScope, 'closed'>,
  response: ClosingResponse,
): void {
  if (!integration.flushesOnClose) return;
  if (response.closed) scope.closed();
  else response.on('close', scope.closed);
}
