export { createRecorder } from './recorder.js';
export type {
  Recorder,
  RecordedAlias,
  RecordedEvent,
  RecordedMessage,
  RecordedPeopleOperation,
  RecorderOptions,
} from './recorder.js';
export { DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BODY_BYTES, startTestServer } from './test-server.js';
export type { RecordedRequest } from './request-handler.js';
export type { TestServer, TestServerOptions } from './test-server.js';
export type { AliasRecord } from './cohorly-backend.js';
export type { EventFilter, EventQuery, QueryableEvent } from './event-query.js';
export { contractFaults } from './contract-faults.js';
export type { ContractFault } from './contract-faults.js';
export type { EventListener, StoredEvent } from './event-store.js';
export type { EventView, EventsSnapshot } from './event-views.js';
export type { WaitForEventsOptions } from './event-waiters.js';
export type {
  FailForOptions,
  FaultSource,
  FaultStep,
  FaultTarget,
  Faults,
  RateLimitOptions,
} from './fault-injector.js';
export type { EngageOperation } from './message-validation.js';
export type { Profile } from './profile-store.js';
