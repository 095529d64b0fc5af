import type { ScenarioName, SdkName } from './adapters/types.js';

/** What the parent asks one child process to run. */
export interface ChildSpec {
  sdk: SdkName;
  scenario: ScenarioName;
  sinkUrl: string;
  /** Events to track (burst, backfill, outage). */
  events: number;
  /** Every SDK's queue cap is raised to at least this. */
  queueCap: number;
  /** Outage only: events are tracked evenly over this many milliseconds. */
  trackMs: number;
}

/** What a child measured, sent as its last stdout line. */
export interface ChildResult {
  type: 'result';
  /** Events handed to the SDK. */
  tracked: number;
  /** express: requests the app answered (the bare app too); otherwise equal to `tracked`. */
  served: number;
  /** Epoch ms (fractional) of the first track call. */
  t0: number;
  /** Epoch ms when the last track call returned (or its promise settled). */
  trackedAt: number;
  /** Epoch ms when the SDK's close/flush resolved. */
  closedAt: number;
  /** CPU (user + system) from the first track call to the end of close, in microseconds. */
  cpuUs: number;
  /** The system (kernel) part of `cpuUs`: mostly copying request bodies into sockets. */
  systemCpuUs: number;
  /** CPU from the first track call until the last one returned, in microseconds. */
  trackCpuUs: number;
  /** Peak resident set size of the whole process, in MB (`resourceUsage().maxRSS`). */
  peakRssMb: number;
  /** RSS just before the first track call (Node, the SDK loaded, nothing tracked), in MB. */
  startRssMb: number;
  /** Failures the SDK reported through its own error channel. */
  errors: number;
}

/** Lines a child prints on stdout, one JSON object each. */
export type ChildMessage =
  | { type: 'started'; t0: number }
  | {
      type: 'listening';
      port: number;
      /** The path to load; `/` when absent. */
      path?: string;
      /** Headers every request carries. */
      headers?: Record<string, string>;
    }
  | ChildResult;

/** High-resolution epoch milliseconds, comparable across processes on one machine. */
export const epochNow = (): number => performance.timeOrigin + performance.now();
