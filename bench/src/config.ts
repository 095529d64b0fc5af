import type { ScenarioName, SdkName } from './adapters/types.js';
import type { BenchConfig } from './runner.js';

const SDKS: SdkName[] = ['cohorly', 'cohorly-node', 'posthog', 'segment', 'mixpanel'];

/** The full benchmark that `pnpm bench` runs (about 12 minutes on 2 cores, builds included). */
export const FULL_CONFIG: BenchConfig = {
  runs: 3,
  scenarios: ['burst', 'backfill', 'outage', 'express', 'express-app', 'express-app-paced'],
  sdks: {
    burst: [...SDKS, 'raw'],
    backfill: [...SDKS, 'raw'],
    outage: SDKS,
    express: [...SDKS, 'none'],
    // The example app with its own middleware, with no SDK (the floor), and bare.
    'express-app': ['cohorly', 'raw', 'none'],
    'express-app-paced': ['cohorly', 'raw', 'none'],
  },
  burstEvents: 100_000,
  backfillEvents: 100_000,
  outage: { events: 20_000, trackMs: 4_000, outageMs: 5_000 },
  express: { seconds: 5, connections: 10, pacedRate: 2_000 },
  exitBoundMs: 5_000,
  runTimeoutMs: 180_000,
};

/**
 * FULL_CONFIG with `BENCH_RUNS`, `BENCH_SCENARIOS` and `BENCH_SDKS` (both comma-separated)
 * applied: `BENCH_SCENARIOS=express BENCH_SDKS=cohorly,none` runs only those.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): BenchConfig {
  const runs = env.BENCH_RUNS ? Number(env.BENCH_RUNS) : FULL_CONFIG.runs;
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`BENCH_RUNS must be >= 1, got ${env.BENCH_RUNS}`);
  const scenarios = env.BENCH_SCENARIOS
    ? (env.BENCH_SCENARIOS.split(',').map((s) => s.trim()) as ScenarioName[])
    : FULL_CONFIG.scenarios;
  for (const scenario of scenarios) {
    if (!FULL_CONFIG.scenarios.includes(scenario)) throw new Error(`unknown scenario ${scenario}`);
  }
  const only = env.BENCH_SDKS?.split(',').map((s) => s.trim());
  const sdks = only
    ? (Object.fromEntries(
        Object.entries(FULL_CONFIG.sdks).map(([scenario, list]) => [
          scenario,
          list.filter((sdk) => only.includes(sdk)),
        ]),
      ) as BenchConfig['sdks'])
    : FULL_CONFIG.sdks;
  return { ...FULL_CONFIG, runs, scenarios, sdks };
}
