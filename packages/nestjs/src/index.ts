export { CohorlyModule } from './cohorly-module.js';
export type {
  CohorlyModuleAsyncOptions,
  CohorlyModuleExtras,
  CohorlyModuleForRootOptions,
} from './cohorly-module-definition.js';
export type { CohorlyModuleOptions } from './cohorly-module-options.js';
export { CohorlyService } from './cohorly-service.js';
export { Track } from './track.js';
export type { TrackDecoratorOptions } from './track.js';
export type { CohorlyRequest } from './cohorly-request.js';
export type {
  AnonymousIdSource,
  CaptureOptions,
  ErrorHandler,
  FlushMode,
  TrackOptions,
} from '@cohorly/server-kit';
export type { CloseOptions, CloseReport } from '@cohorly/core';
