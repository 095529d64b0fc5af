export { Cohorly } from './cohorly.js';
export type { CohorlyClient, CohorlyOptions } from './cohorly.js';
export { Consumer } from './consumer.js';
export type { ConsumerOptions } from './consumer.js';
export { BufferedConsumer, MAX_BATCH_SIZE } from './buffered-consumer.js';
export type { BufferedConsumerOptions, BufferedConsumerStats } from './buffered-consumer.js';
export type {
  CloseOptions,
  CloseReport,
  CohorlyConsumer,
  DrainOptions,
  DrainReport,
  DropCounts,
  EndpointCounts,
} from './cohorly-consumer.js';
export { CohorlyError } from './errors.js';
export { messageOf } from './message-of.js';
export { closestOption, isOffSwitch } from './option-names.js';
export type { CohorlyErrorCode, CohorlyErrorOptions } from './errors.js';
export { ENDPOINT_PATHS } from './endpoints.js';
export type { Endpoint } from './endpoints.js';
export { BASE_RETRY_DELAY_MS, MAX_RETRY_DELAY_MS, RETRY_JITTER, backoffDelay } from './backoff.js';
export { DEFAULT_API_HOST } from './runtime-options.js';
export type { FetchLike, FetchResponse, TransportOptions } from './runtime-options.js';
export { jsonSerializer } from './serialize.js';
export type { Serializer } from './serialize.js';
export type {
  AnyEvents,
  EventArgs,
  EventCatalog,
  EventProperties,
  Meta,
  Properties,
  PropertyValue,
} from './properties.js';
export { isTimerMs, MAX_TIMER_MS } from './timer-ms.js';
export { LIB_VERSION } from './version.js';
