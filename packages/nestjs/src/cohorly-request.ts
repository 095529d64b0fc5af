import type { IncomingHttpHeaders } from 'node:http';

/**
 * The request your `identify`, `ignore`, `superProperties` and `@Track` callbacks receive:
 * the platform's own request object (Express's `Request`, Fastify's `FastifyRequest`), so
 * whatever your guards set on it (`req.user`) is there. On Fastify, `ignore` runs before
 * routing and so receives the raw Node request, which has the headers and the URL.
 *
 * Type what your guards add by declaration merging, or annotate the callback's parameter
 * with your platform's request type (`(req: Request) => req.user?.id`):
 *
 * ```ts
 * declare module '@cohorly/nestjs' {
 *   interface CohorlyRequest { user?: { id: string } }
 * }
 * ```
 */
export interface CohorlyRequest {
  /** Request headers, names in lower case. */
  headers: IncomingHttpHeaders;
  /** The request target (`/checkout?step=2`). */
  url?: string;
  /** The HTTP method. */
  method?: string;
  /** The client address as the platform resolves it (honouring its trust-proxy setting). */
  ip?: string;
}
