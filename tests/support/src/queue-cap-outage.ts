import type { BufferedConsumer } from '@cohorly/core';
import type { TestServer } from '@cohorly/testing';
import { expect } from 'vitest';
import { eventsAnswered } from './events-answered.js';

/**
 * An outage that outlasts the queue cap: while the Cohorly server is down, thirty users track
 * one event each, one after the other, into a queue of twenty; the oldest ten must be dropped.
 */
export const QUEUE_CAP_OUTAGE = {
  /** The users, in the order they track; each tracks one event with `owner` set to itself. */
  users: Array.from({ length: 30 }, (_, i) => `user-${i}`),
  /** The batch size the consumer is given. */
  maxSize: 5,
  /** The queue cap the consumer is given. */
  maxQueueSize: 20,
} as const;

const { users, maxQueueSize } = QUEUE_CAP_OUTAGE;
const overflow = users.length - maxQueueSize;

/**
 * Checks the client during a {@link QUEUE_CAP_OUTAGE}: nothing sent, the newest twenty
 * queued, and exactly the oldest ten dropped as overflow and reported.
 */
export function expectOverflowDropped(
  consumer: BufferedConsumer,
  reported: (code: string) => number,
): void {
  expect(consumer.stats()).toMatchObject({
    sent: 0,
    queued: { events: maxQueueSize },
    dropped: { overflow, rejected: 0, oversized: 0 },
  });
  expect(reported('overflow')).toBe(overflow);
}

/**
 * Checks the end of a {@link QUEUE_CAP_OUTAGE}, once `restarted` (the server back on its
 * port) has the queue: the newest twenty events arrived, once each and in order.
 */
export function expectNewestDelivered(restarted: TestServer, consumer: BufferedConsumer): void {
  const accepted = eventsAnswered(restarted, 200);
  const ids = accepted.map((event) => event.properties.$insert_id);
  expect(ids.length).toBe(new Set(ids).size);
  expect(accepted.map((event) => event.properties.distinct_id)).toEqual(users.slice(overflow));
  expect(consumer.stats()).toMatchObject({ sent: maxQueueSize, dropped: { overflow } });
}
