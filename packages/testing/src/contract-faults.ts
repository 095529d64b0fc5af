import type { FaultStep } from './fault-injector.js';

/** One fault of the Cohorly retry contract, and what a `BufferedConsumer` does about it. */
export interface ContractFault {
  /** A readable name, for test titles. */
  fault: string;
  /** The fault script step that produces it: `server.faults.next('/track', step)`. */
  step: FaultStep;
  /**
   * What the client does with the batch that met the fault: keeps it and backs off
   * (`'retried'`), drops it and reports it as rejected (`'rejected'`: `dropped.rejected`,
   * error code `rejected`), halves the batch and retries at once (`'halved'`, for a batch of
   * several), or drops its one message as too large to ever be accepted (`'dropped'`, for a
   * request of a single message: `dropped.oversized`, error code `oversized`).
   */
  outcome: 'retried' | 'rejected' | 'halved' | 'dropped';
  /** The backoff the fault opens, in ms, with jitter 0, for those that are retried. */
  backoffMs?: number;
}

/**
 * Every fault the Cohorly retry contract names (CONTRACT.md §3), as fault script steps: run
 * your integration through each with `describe.each(contractFaults)` and check that nothing
 * is lost, duplicated, or seen by your users. A hanging answer ends with the client's request
 * timeout: give the client a short `requestTimeoutMs` for that row. The two 413 rows script
 * the same step; what the client does depends on how many messages the request held, so
 * give the `'halved'` row a batch of several and the `'dropped'` row a request of one
 * message (`maxSize: 1`, or an `/alias`, always sent alone).
 */
export const contractFaults: readonly ContractFault[] = [
  {
    fault: '429 with Retry-After: 7',
    step: { status: 429, headers: { 'Retry-After': '7' } },
    outcome: 'retried',
    backoffMs: 7_000,
  },
  { fault: '429 without Retry-After', step: { status: 429 }, outcome: 'retried', backoffMs: 2_000 },
  { fault: '500', step: { status: 500 }, outcome: 'retried', backoffMs: 2_000 },
  { fault: '502', step: { status: 502 }, outcome: 'retried', backoffMs: 2_000 },
  { fault: '503', step: { status: 503 }, outcome: 'retried', backoffMs: 2_000 },
  { fault: '401', step: { status: 401 }, outcome: 'retried', backoffMs: 600_000 },
  { fault: 'a connection reset', step: { drop: true }, outcome: 'retried', backoffMs: 2_000 },
  {
    fault: 'an answer that hangs past the request timeout',
    step: { delayMs: 60_000, store: false },
    outcome: 'retried',
    backoffMs: 2_000,
  },
  { fault: '400', step: { status: 400 }, outcome: 'rejected' },
  { fault: '413 on a batch of several', step: { status: 413 }, outcome: 'halved' },
  { fault: '413 on a single message', step: { status: 413 }, outcome: 'dropped' },
];
