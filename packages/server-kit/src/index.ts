export { CohorlyIntegration } from './integration.js';
export {
  checkCapture,
  checkIntegrationOptions,
  isHeaderName,
  NAME_CHARACTERS,
} from './check-integration-options.js';
export { describeValue, ignoreRejection, isThenable, messageOf } from './describe-value.js';
export type {
  FlushMode,
  IntegrationOptions,
  IntegrationRuntime,
  RequestScope,
} from './integration.js';
export { FlushCoalescer } from './flush-coalescer.js';
export type { FlushCoalescerOptions } from './flush-coalescer.js';
export { RequestTracker } from './request-tracker.js';
export type { TrackerScope } from './request-tracker.js';
export type { RequestTrackerLike, TrackOptions, TrackerArgs } from './request-tracker-like.js';
export { anonymousIdOf, resolveDistinctId } from './identity.js';
export type { AnonymousIdSource, IdentityOptions } from './identity.js';
export { requestProperties } from './request-properties.js';
export type { CaptureOptions, RequestPropertiesOptions } from './request-properties.js';
export type { RequestAccessor } from './request-accessor.js';
export { readEnv } from './read-env.js';
export { onBunOrDeno } from './bun-or-deno.js';
export { CLIENT_OPTION_NAMES, resolveClient } from './resolve-client.js';
export type { ClientOptions, ResolvedClient } from './resolve-client.js';
export { reportError, warnOnError } from './report-error.js';
export { reportUnknownOptions } from './unknown-options.js';
export type { ErrorHandler } from './report-error.js';
