import { expect, it } from 'vitest';
import type { ScenarioName, SdkName } from './adapters/types.js';
import { checkTargets, formatTable, median, type Summary, summarize } from './report.js';
import type { RunResult } from './runner.js';

it('takes the median of the finite values', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(median([Number.NaN, 5])).toBe(5);
  expect(median([])).toBeNaN();
});

function run(scenario: ScenarioName, sdk: SdkName, eventsPerSec: number, lost = 0): RunResult {
  return {
    scenario,
    sdk,
    run: 0,
    tracked: 100,
    delivered: 100 - lost,
    lost,
    duplicates: 0,
    requests: 1,
    rejectedRequests: 0,
    eventsPerSec,
    cpuUsPerEvent: 1_000 / eventsPerSec,
    trackCpuUsPerEvent: 400 / eventsPerSec,
    peakRssMb: 10_000 / eventsPerSec,
    startRssMb: 40,
    deliveryMs: 1,
    closeMs: 1,
    exitedByItself: true,
    exitMs: 1,
    sdkErrors: 0,
  } as RunResult;
}

it('reduces runs to medians, and losses to the worst run', () => {
  const [summary] = summarize([
    run('burst', 'cohorly', 10),
    run('burst', 'cohorly', 30, 2),
    run('burst', 'cohorly', 20),
  ]);
  expect(summary).toMatchObject<Partial<Summary>>({ runs: 3, eventsPerSec: 20, lost: 2 });
  expect(summary?.loopCpuUsPerEvent).toBeCloseTo(20);
});

it('shows the CPU of the tracking loop apart from the total', () => {
  const table = formatTable(summarize([run('burst', 'mixpanel', 40)]));
  const [header, , row] = table.split('\n');
  const cells = row!.trim().split(/\s{2,}/);
  expect(
    cells[
      header!
        .trim()
        .split(/\s{2,}/)
        .indexOf('loop us/ev')
    ],
  ).toBe('10.00');
});

it('checks each target against the best peer, and says which peer that is', () => {
  const checks = checkTargets(
    summarize([
      run('burst', 'cohorly', 300),
      run('burst', 'posthog', 100),
      run('burst', 'mixpanel', 50),
      run('burst', 'raw', 400),
    ]),
  );
  expect(checks.find((c) => c.target.startsWith('burst: events/s'))).toMatchObject({
    target: expect.stringContaining('(posthog)'),
    measured: '3.00x',
    met: true,
  });
  // CPU and memory scale as 1/rate here: 100/300 of the best peer's.
  expect(checks.find((c) => c.target.startsWith('burst: CPU'))).toMatchObject({ met: false });
  expect(checks.find((c) => c.target.includes('raw events/s'))).toMatchObject({
    measured: '1.33x',
    met: true,
  });
});

it('sets the example app with Cohorly beside the same app with no SDK, by CPU per request', () => {
  const app = (sdk: SdkName, cpuUsPerRequest: number) =>
    ({
      ...run('express-app', sdk, 0),
      tracked: sdk === 'none' ? 0 : 100,
      delivered: sdk === 'none' ? 0 : 100,
      requestsPerSec: 1_000_000 / cpuUsPerRequest,
      cpuUsPerRequest,
    }) as RunResult;
  const checks = checkTargets(summarize([app('none', 200), app('cohorly', 250), app('raw', 220)]));
  expect(checks.find((c) => c.target.includes('(bare CPU/request / cohorly'))).toMatchObject({
    measured: '80.0%',
    met: false,
  });
  expect(checks.find((c) => c.target.includes('with no SDK'))).toMatchObject({
    measured: '90.9%',
    met: false,
  });
});
