export { cohorly } from './cohorly-middleware.js';
export type { CohorlyExpressOptions, CohorlyMiddleware } from './cohorly-middleware.js';
export { getRequestCohorly } from './get-request-cohorly.js';
export type {
  AnonymousIdSource,
  CaptureOptions,
  ErrorHandler,
  FlushMode,
  TrackOptions,
} from '@cohorly/server-kit';
// The type of `req.cohorly`: the tracker's members as an interface, which the ESM and the
// CommonJS declarations of this package agree on (the class would not).
export type { RequestTrackerLike as RequestTracker } from '@cohorly/server-kit';
export type { CloseOptions, CloseReport } from '@cohorly/core';
