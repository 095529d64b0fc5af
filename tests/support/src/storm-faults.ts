import type { FaultStep } from '@cohorly/testing';

/**
 * The faults a fault storm runs an example app through, in order. Retry-After: 0 on the 5xx
 * rows keeps the real-time storm short; 429 without Retry-After and the reset wait out the
 * client's own 2 s backoff.
 */
export const STORM_FAULTS: readonly { fault: string; step: FaultStep }[] = [
  { fault: '429 with Retry-After: 1', step: { status: 429, headers: { 'Retry-After': '1' } } },
  { fault: '429 without Retry-After', step: { status: 429 } },
  { fault: '500', step: { status: 500, headers: { 'Retry-After': '0' } } },
  { fault: '502', step: { status: 502, headers: { 'Retry-After': '0' } } },
  { fault: '503', step: { status: 503, headers: { 'Retry-After': '0' } } },
  { fault: 'a connection reset', step: { drop: true } },
  { fault: '400', step: { status: 400 } },
  // Last: the halved batch size stays halved for the rest of the client's life.
  { fault: '413 on a batch of several', step: { status: 413 } },
];
