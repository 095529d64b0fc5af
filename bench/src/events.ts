/** One benchmark event, in the neutral shape every adapter maps to its SDK's call. */
export interface BenchEvent {
  distinctId: string;
  event: string;
  properties: Record<string, string | number | boolean>;
}

/**
 * The `i`th event of a run. Every SDK tracks the same events: a thousand users, one event
 * name, six small properties; `seq` lets a reader match what the sink received.
 */
export function benchEvent(i: number): BenchEvent {
  return {
    distinctId: `user-${i % 1000}`,
    event: 'Order Completed',
    properties: {
      seq: i,
      plan: 'pro',
      amount: 49.5,
      currency: 'EUR',
      path: '/checkout',
      coupon: false,
    },
  };
}
