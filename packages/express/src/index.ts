export { cohorly } from './cohorly-middleware.js';
export type { CohorlyExpressOptions, CohorlyMiddleware } from './cohorly-middleware.js';
export { getRequestCohorly } from './get-request-cohorly.js';
export type {
  AnonymousIdSource,
  CaptureOptions,
  ErrorHandler,
  FlushMode,
  RequestTracker,
  TrackOptions,
} from '@cohorly/server-kit';
export type { CloseOptions, CloseReport } from '@cohorly/core';
