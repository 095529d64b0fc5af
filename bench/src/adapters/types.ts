/** The SDKs (and baselines) a run can measure. */
export type SdkName =
  | 'cohorly'
  | 'cohorly-node'
  | 'posthog'
  | 'segment'
  | 'mixpanel'
  | 'raw'
  | 'none';

/** The scenarios a child process can run. */
export type ScenarioName =
  | 'burst'
  | 'backfill'
  | 'outage'
  | 'express'
  | 'express-app'
  | 'express-app-paced';

/** The scenarios measured in requests per second of an app under load, not in events. */
export const isServerScenario = (scenario: ScenarioName): boolean =>
  scenario === 'express' || isExampleAppScenario(scenario);

/** The scenarios that run `apps/express-example` (at full load, or at a fixed rate). */
export const isExampleAppScenario = (scenario: ScenarioName): boolean =>
  scenario === 'express-app' || scenario === 'express-app-paced';

/** How an adapter is set up for one run. */
export interface AdapterOptions {
  /** Base URL of the loopback sink. */
  sinkUrl: string;
  scenario: ScenarioName;
  /** Every SDK's queue cap is raised to at least this many messages. */
  queueCap: number;
}

/** One SDK behind the neutral calls the scenarios make. */
export interface Adapter {
  /** Tracks event `i` without waiting, as a request handler or a tight loop would. */
  track(i: number): void;
  /**
   * Tracks event `i` and waits as the SDK's closest equivalent of `await cohorly.track()`
   * does: for the delivery attempt of a full batch, never longer (see the README).
   */
  trackAwaited(i: number): Promise<void>;
  /** Flushes and stops the SDK with its own close call, waiting for delivery. */
  close(): Promise<unknown>;
  /** Failures the SDK reported through its own error channel. */
  errors(): number;
}

/** Events per request for every batching SDK, and Cohorly's server-side maximum. */
export const BATCH_SIZE = 500;

/** How long an SDK's close/shutdown may take before it gives up. */
export const CLOSE_TIMEOUT_MS = 120_000;
