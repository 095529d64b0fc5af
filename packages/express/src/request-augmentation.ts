import type { RequestTrackerLike } from '@cohorly/server-kit';

// Express (4 and 5) merges the global `Express.Request` into its own `Request`, so this one
// declaration types `req.cohorly` in every handler of an app that imports this package.
// Typed with the interface, not the `RequestTracker` class: a program that loads both this
// package's ESM and CommonJS declarations (an ESM app with one `.cts` file) declares
// `cohorly` twice, and a class with private members would be a different type in each copy
// (TS2717: "Subsequent property declarations must have the same type").
declare global {
  namespace Express {
    interface Request {
      /**
       * The request's Cohorly tracker, set by the `cohorly()` middleware: `track`, `alias`,
       * `identify` and the `people*` operations, for the request's user (resolved when each
       * call is made). It never throws and never rejects. On a request `ignore(req)`
       * excludes it sends nothing.
       */
      cohorly: RequestTrackerLike;
    }
  }
}
