import type { BufferedConsumer, CohorlyError } from '@cohorly/core';
import type { ContractFault, TestServer } from '@cohorly/testing';
import { expect } from 'vitest';
import { eventsAnswered, type SentEvent } from './events-answered.js';

/**
 * One row of `contractFaults` as the in-process suites run it: twelve users track one event
 * each, in batches of four; the first batch meets the fault.
 */
export const CONTRACT_FAULT_CASE = {
  /** The users, each tracking one event with `owner` set to itself. */
  users: Array.from({ length: 12 }, (_, i) => `user-${i}`),
  /** The batch size the consumer is given. */
  maxSize: 4,
} as const;

/** What {@link expectBackedOff} checks. */
export interface BackedOff {
  consumer: BufferedConsumer;
  errors: readonly CohorlyError[];
  server: TestServer;
  /** The consumer's time now, in ms. */
  now: number;
  /** The window the fault opens, in ms (`ContractFault.backoffMs`). */
  backoffMs: number | undefined;
}

/**
 * Checks a client right after a fault it retries: backing off for exactly `backoffMs`, the
 * fault reported once as retryable, and nothing stored yet.
 */
export function expectBackedOff({ consumer, errors, server, now, backoffMs }: BackedOff): void {
  expect(consumer.stats().nextAttemptAt - now).toBe(backoffMs);
  expect(errors).toHaveLength(1);
  expect(errors[0]?.retryable).toBe(true);
  expect(server.events()).toEqual([]);
}

/** What {@link expectDeliveredOnceOrDropped} checks. */
export interface DeliveredOnceOrDropped {
  /** The Cohorly test server that met the fault and stayed up. */
  server: TestServer;
  /** What the client does with the batch that met the fault. */
  outcome: ContractFault['outcome'];
  consumer: BufferedConsumer;
  /** How many messages the client's errors with a code reported. */
  reported(code: string): number;
}

/**
 * Checks the end of a {@link CONTRACT_FAULT_CASE}, once nothing is queued: the first request
 * held a full batch; every event was accepted exactly once (by `$insert_id`) for its own
 * user, but for a batch the server rejected, which was dropped, counted and reported.
 */
export function expectDeliveredOnceOrDropped(input: DeliveredOnceOrDropped): void {
  const { server, outcome, consumer, reported } = input;
  const { users, maxSize } = CONTRACT_FAULT_CASE;
  const [faulted] = server.requests();
  expect(faulted?.json).toHaveLength(maxSize);
  const accepted = eventsAnswered(server, 200);
  const ids = accepted.map((event) => event.properties.$insert_id);
  expect(ids.length).toBe(new Set(ids).size);
  const rejected = outcome === 'rejected' ? (faulted!.json as SentEvent[]) : [];
  expect([...accepted, ...rejected].map((event) => event.properties.distinct_id).sort()).toEqual(
    [...users].sort(),
  );
  for (const event of accepted) expect(event.properties.owner).toBe(event.properties.distinct_id);
  expect(consumer.stats()).toMatchObject({
    sent: users.length - rejected.length,
    dropped: { overflow: 0, rejected: rejected.length, oversized: 0 },
  });
  expect(reported('rejected')).toBe(rejected.length);
}
