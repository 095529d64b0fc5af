import type { RequestAccessor } from '@cohorly/server-kit';
import { nodeRequestHeader } from '@cohorly/server-kit/node';
import type { Request } from 'express';

/** How the server-kit reads an Express request: the only Express-specific piece. */
export const expressAccessor: RequestAccessor<Request> = {
  // The first value of a repeated header: Node joins repeats with ", " in `req.headers`.
  header: nodeRequestHeader,
  // `originalUrl`, not `url`: a router mounted at `/api` rewrites `url` to the part after it.
  url: (req) => req.originalUrl ?? req.url,
  // `req.ip` honours the app's `trust proxy` setting, so X-Forwarded-For is only believed
  // when the app says its proxy is trusted.
  ip: (req) => req.ip,
};
