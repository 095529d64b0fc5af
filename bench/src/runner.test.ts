import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioName, SdkName } from './adapters/types.js';
import { type BenchConfig, killChildren, type RunResult, runOne } from './runner.js';
import { type Sink, startSink } from './sink.js';

// Every scenario in a tiny form, through the real harness (child processes, the loopback
// sink, autocannon): it proves the counting, never the speed. No assertion here is on time.
const TINY: BenchConfig = {
  runs: 1,
  scenarios: ['burst', 'backfill', 'outage', 'express', 'express-app', 'express-app-paced'],
  sdks: {
    burst: ['cohorly', 'cohorly-node', 'posthog', 'segment', 'mixpanel', 'raw'],
    backfill: ['cohorly', 'cohorly-node', 'posthog', 'segment', 'mixpanel', 'raw'],
    outage: ['cohorly', 'posthog', 'segment', 'mixpanel'],
    // The peers' `track` is the one the outage runs already use.
    express: ['cohorly', 'none'],
    'express-app': ['cohorly', 'raw', 'none'],
    'express-app-paced': ['cohorly', 'raw', 'none'],
  },
  burstEvents: 200,
  // Enough for the batching SDKs to fill a batch of 500 while awaited.
  backfillEvents: 1_100,
  // The outage outlasts the tracking with a margin, so that a loaded machine still meets it.
  outage: { events: 200, trackMs: 200, outageMs: 1_000 },
  express: { seconds: 1, connections: 2, pacedRate: 200 },
  exitBoundMs: 5_000,
  runTimeoutMs: 30_000,
};

const FORMAT: Record<SdkName, string | undefined> = {
  cohorly: 'cohorly',
  'cohorly-node': 'cohorly',
  raw: 'cohorly',
  posthog: 'posthog',
  segment: 'segment',
  mixpanel: 'mixpanel',
  none: undefined,
};

let sink: Sink;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(async () => {
  killChildren();
  await sink.close();
});

/** Runs the SDKs of one scenario concurrently-free (one child at a time), as the bench does. */
async function runAll(scenario: ScenarioName): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const sdk of TINY.sdks[scenario]) results.push(await runOne(sink, TINY, scenario, sdk, 0));
  return results;
}

/** What every run must satisfy: it ran, its events went to its own format, and it exited. */
function expectSound(result: RunResult): void {
  expect(result.failure, `${result.scenario}/${result.sdk}`).toBeUndefined();
  expect(result.sink.badRequests).toBe(0);
  const format = FORMAT[result.sdk];
  for (const [name, events] of Object.entries(result.sink.byFormat)) {
    expect(events, `${result.sdk} sent ${name} events`).toBe(
      name === format ? result.sink.events : 0,
    );
  }
  expect(result.exitedByItself, `${result.sdk} exits by itself`).toBe(true);
  // No event the sink accepted was one the SDK was not given.
  expect(result.lost).toBeGreaterThanOrEqual(0);
}

describe.each(['burst', 'backfill'] as const)('%s', (scenario) => {
  it('counts every event each SDK delivered, once', async () => {
    const results = await runAll(scenario);
    for (const result of results) {
      expectSound(result);
      const events = scenario === 'burst' ? TINY.burstEvents : TINY.backfillEvents;
      expect(result.tracked).toBe(events);
      expect({
        sdk: result.sdk,
        delivered: result.delivered,
        duplicates: result.duplicates,
      }).toEqual({
        sdk: result.sdk,
        delivered: events,
        duplicates: 0,
      });
      expect(result.cpuUsPerEvent).toBeGreaterThan(0);
      expect(result.peakRssMb).toBeGreaterThan(0);
    }
  });
});

describe('outage', () => {
  it('counts only what the sink accepted after the outage, and what each SDK lost', async () => {
    const results = await runAll('outage');
    for (const result of results) {
      expectSound(result);
      expect(result.tracked).toBe(TINY.outage.events);
      expect(result.rejectedRequests, `${result.sdk} met the outage`).toBeGreaterThan(0);
    }
    const cohorly = results.find((r) => r.sdk === 'cohorly')!;
    expect(cohorly).toMatchObject({ delivered: TINY.outage.events, lost: 0, duplicates: 0 });
  });
});

describe.each(['express', 'express-app', 'express-app-paced'] as const)('%s', (scenario) => {
  it('counts one event per request served, and none for the bare app', async () => {
    const results = await runAll(scenario);
    for (const result of results) {
      expectSound(result);
      expect(result.requestsPerSec).toBeGreaterThan(0);
      expect(result.non2xx).toBe(0);
    }
    const bare = results.find((r) => r.sdk === 'none')!;
    expect(bare).toMatchObject({ tracked: 0, delivered: 0, requests: 0 });
    // Cohorly, and in the example app the floor with no SDK, deliver every event.
    for (const sdk of scenario === 'express' ? ['cohorly'] : ['cohorly', 'raw']) {
      const result = results.find((r) => r.sdk === sdk)!;
      expect(result.tracked).toBeGreaterThan(0);
      expect(result).toMatchObject({ delivered: result.tracked, lost: 0, duplicates: 0 });
      expect(result.sink.byFormat.cohorly).toBe(result.tracked);
    }
  });
});
