import type { RequestTracker } from '@cohorly/server-kit';

// Express (4 and 5) merges the global `Express.Request` into its own `Request`, so this one
// declaration types `req.cohorly` in every handler of an app that imports this package.
declare global {
  namespace Express {
    interface Request {
      /**
       * The request's Cohorly tracker, set by the `cohorly()` middleware: `track`, `alias`,
       * `identify` and the `people*` operations, for the request's user (resolved when each
       * call is made). It never throws and never rejects. On a request `ignore(req)`
       * excludes it sends nothing.
       */
      cohorly: RequestTracker;
    }
  }
}
