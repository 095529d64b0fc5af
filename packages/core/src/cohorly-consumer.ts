import type { Endpoint } from './endpoints.js';

/** Options of `close()`. */
export interface CloseOptions {
  /**
   * How long to keep trying to deliver what is queued, in milliseconds. At the deadline,
   * requests still in flight are aborted and `close()` resolves with what remains. From 0 to
   * 2147483647 (the longest a timer waits).
   * @default 10000
   */
  timeoutMs?: number;
}

/** Message counts per endpoint. */
export type EndpointCounts = Record<Endpoint, number>;

/** Messages dropped, by reason. Every drop is also reported through `onError`. */
export interface DropCounts {
  /** Oldest messages dropped because a buffer held more than `maxQueueSize`. */
  overflow: number;
  /** Messages in batches the server permanently rejected (400 or another 4xx). */
  rejected: number;
  /** Single messages the server refused as too large (413). */
  oversized: number;
}

/** What `close()` did: what was delivered and what was not. */
export interface CloseReport {
  /** True when nothing remained undelivered at the end. */
  drained: boolean;
  /** Messages delivered over the consumer's lifetime. */
  sent: number;
  /** Messages still queued (not delivered) when `close()` returned. */
  undelivered: number;
  /** The undelivered messages per endpoint. */
  queued: EndpointCounts;
  /** Messages dropped over the consumer's lifetime, by reason. */
  dropped: DropCounts;
}

/** Options of `drain()`. */
export interface DrainOptions {
  /**
   * How long to keep trying, in milliseconds. At the deadline `drain()` resolves; a request
   * still in flight is not aborted and finishes in the background. From 0 to 2147483647 (the
   * longest a timer waits).
   * @default 10000
   */
  timeoutMs?: number;
}

/** What `drain()` did. */
export interface DrainReport {
  /**
   * True when every message queued before the call was delivered, or dropped and reported
   * through `onError` (a batch the server permanently rejected, a queue overflow).
   */
  drained: boolean;
  /**
   * Messages still queued when `drain()` returned, those sent after the call included; 0 when
   * the consumer cannot tell (one without `drain()` of its own).
   */
  undelivered: number;
}

/**
 * What a `Cohorly` client hands its messages to. `Consumer` and `BufferedConsumer` implement
 * it; so does the recorder of `@cohorly/testing`, and so can your own.
 */
export interface CohorlyConsumer {
  /** Delivers (or queues) one message already serialized as JSON. */
  send(endpoint: Endpoint, jsonMessage: string): Promise<void>;
  /** Tries to deliver everything queued; resolves `true` when nothing remains. */
  flush(): Promise<boolean>;
  /** Stops background work and delivers what it can before `timeoutMs`. */
  close?(options?: CloseOptions): Promise<CloseReport>;
  /**
   * Delivers what was queued before the call, waiting out backoff windows, within
   * `timeoutMs`, and keeps the consumer running. Without it, `Cohorly.drain()` flushes once.
   */
  drain?(options?: DrainOptions): Promise<DrainReport>;
}
