import { BufferedConsumer, type CohorlyError } from '@cohorly/core';

/** How {@link createFaultConsumer} sets up its consumer. */
export interface FaultConsumerOptions {
  /** The Cohorly test server's URL. */
  apiHost: string;
  /** Messages per request. */
  maxSize: number;
  /** Messages queued at most. @default the consumer's own (1000) */
  maxQueueSize?: number;
  /** How long a request may take, in ms. @default the consumer's own */
  requestTimeoutMs?: number;
  /** Where the consumer reads the time. @default Date.now (for fake timers) */
  clock?: () => number;
}

/** A consumer made by {@link createFaultConsumer}, and what it reported. */
export interface FaultConsumer {
  /** The consumer, to hand to `new Cohorly(token, { consumer })`. */
  consumer: BufferedConsumer;
  /** Every error it gave `onError`, in order. */
  errors: CohorlyError[];
  /** How many messages the errors with `code` reported (dropped, or still queued). */
  reported(code: string): number;
}

/**
 * A `BufferedConsumer` for fault tests: it flushes only when told to and backs off without
 * jitter, so a test can name each backoff window; every error it reports is kept.
 */
export function createFaultConsumer(options: FaultConsumerOptions): FaultConsumer {
  const errors: CohorlyError[] = [];
  const consumer = new BufferedConsumer({
    apiHost: options.apiHost,
    maxSize: options.maxSize,
    maxQueueSize: options.maxQueueSize,
    requestTimeoutMs: options.requestTimeoutMs,
    flushIntervalMs: 0,
    clock: options.clock,
    jitter: () => 0,
    onError: (error) => errors.push(error),
  });
  const reported = (code: string) =>
    errors.filter((error) => error.code === code).reduce((sum, error) => sum + error.messages, 0);
  return { consumer, errors, reported };
}
