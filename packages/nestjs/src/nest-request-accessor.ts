import type { RequestAccessor } from '@cohorly/server-kit';
import { nodeRequestHeader } from '@cohorly/server-kit/node';
import type { NestRequestState } from './request-state.js';

/**
 * How the server-kit reads a Nest request, on the Express and the Fastify platforms alike:
 * headers and URL from the Node request (both platforms have one), the client IP from the
 * platform's request once the module's guard has run.
 */
export const nestRequestAccessor: RequestAccessor<NestRequestState> = {
  // The first value of a repeated header: Node joins repeats with ", " in `raw.headers`.
  header: (state, name) => (state.raw ? nodeRequestHeader(state.raw, name) : undefined),
  // `originalUrl` (Express, and Fastify's middleware engine), not `url`: a middleware mounted
  // at a path sees `url` with that path cut off.
  url: (state) => state.raw?.originalUrl ?? state.raw?.url,
  ip(state) {
    // The platform's `ip` honours its trust-proxy setting; the socket address is the fallback
    // for Fastify before routing, where only the Node request exists.
    const resolved = state.request?.ip ?? state.raw?.ip;
    return typeof resolved === 'string' ? resolved : state.raw?.socket?.remoteAddress;
  },
};
