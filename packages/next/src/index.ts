export { createCohorlyServer } from './create-cohorly-server.js';
export type { CohorlyServer } from './cohorly-server.js';
export type { CohorlyServerOptions, DistinctIdResult } from './cohorly-server-options.js';
export { getCohorlyServer, trackServer } from './default-server.js';
export { isNextControlFlowError } from './next-control-flow.js';
export type { WaitUntil } from './platform-wait-until.js';
export type { ErrorHandler, TrackOptions } from '@cohorly/server-kit';
