import type { RequestAccessor } from '@cohorly/server-kit';
import type { Request } from 'express';

/** How the server-kit reads an Express request: the only Express-specific piece. */
export const expressAccessor: RequestAccessor<Request> = {
  header(req, name) {
    // Node lower-cases incoming header names; only `set-cookie` arrives as an array.
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  },
  // `originalUrl`, not `url`: a router mounted at `/api` rewrites `url` to the part after it.
  url: (req) => req.originalUrl ?? req.url,
  // `req.ip` honours the app's `trust proxy` setting, so X-Forwarded-For is only believed
  // when the app says its proxy is trusted.
  ip: (req) => req.ip,
};
