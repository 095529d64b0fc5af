import { isServerScenario, type ScenarioName, type SdkName } from './adapters/types.js';
import type { RunResult } from './runner.js';

/** The peers Cohorly is compared with (the baselines `raw` and `none` are not peers). */
export const PEERS: readonly SdkName[] = ['posthog', 'segment', 'mixpanel'];

/** The runs of one SDK in one scenario, reduced to medians (losses to their worst run). */
export interface Summary {
  scenario: ScenarioName;
  sdk: SdkName;
  runs: number;
  failedRuns: number;
  eventsPerSec: number;
  cpuUsPerEvent: number;
  /**
   * The part of `cpuUsPerEvent` spent in the tracking loop itself, the bench's own building
   * of each event included (for burst, everything before the first request can go out).
   */
  loopCpuUsPerEvent: number;
  peakRssMb: number;
  startRssMb: number;
  deliveryMs: number;
  requests: number;
  /** Worst run. */
  lost: number;
  /** Worst run. */
  duplicates: number;
  /** Runs whose child did not exit by itself. */
  stuckRuns: number;
  exitMs: number;
  requestsPerSec: number;
  /** express: the app's CPU per request served. */
  cpuUsPerRequest: number;
}

/** One target of the issue, with the measured ratio. */
export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

/** The median of the finite numbers in `values`; NaN when there are none. */
export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

/** Summaries in the order the scenarios and SDKs first appear in `results`. */
export function summarize(results: readonly RunResult[]): Summary[] {
  const groups = new Map<string, RunResult[]>();
  for (const result of results) {
    const key = `${result.scenario}/${result.sdk}`;
    groups.set(key, [...(groups.get(key) ?? []), result]);
  }
  return [...groups.values()].map((runs) => {
    const ok = runs.filter((r) => !r.failure);
    const med = (pick: (r: RunResult) => number | undefined) =>
      median(ok.map((r) => pick(r) ?? Number.NaN));
    return {
      scenario: runs[0]!.scenario,
      sdk: runs[0]!.sdk,
      runs: runs.length,
      failedRuns: runs.length - ok.length,
      eventsPerSec: med((r) => r.eventsPerSec),
      cpuUsPerEvent: med((r) => r.cpuUsPerEvent),
      loopCpuUsPerEvent: med((r) => r.trackCpuUsPerEvent),
      peakRssMb: med((r) => r.peakRssMb),
      startRssMb: med((r) => r.startRssMb),
      deliveryMs: med((r) => r.deliveryMs),
      requests: med((r) => r.requests),
      lost: Math.max(...runs.map((r) => r.lost)),
      duplicates: Math.max(...runs.map((r) => r.duplicates)),
      stuckRuns: runs.filter((r) => !r.exitedByItself).length,
      exitMs: med((r) => r.exitMs),
      requestsPerSec: med((r) => r.requestsPerSec),
      cpuUsPerRequest: med((r) => r.cpuUsPerRequest),
    };
  });
}

const fmt = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', {
        maximumFractionDigits: digits,
        minimumFractionDigits: digits,
      })
    : '-';

/** A plain-text table of the summaries, one row per scenario and SDK. */
export function formatTable(summaries: readonly Summary[]): string {
  const header = [
    'scenario',
    'sdk',
    'events/s',
    'cpu us/ev',
    'loop us/ev',
    'peak RSS MB',
    'delivery ms',
    'requests',
    'lost(max)',
    'dup(max)',
    'exits',
    'req/s',
    'app cpu us/req',
  ];
  const rows = summaries.map((s) => [
    s.scenario,
    s.sdk,
    isServerScenario(s.scenario) ? '-' : fmt(s.eventsPerSec),
    fmt(s.cpuUsPerEvent, 2),
    isServerScenario(s.scenario) ? '-' : fmt(s.loopCpuUsPerEvent, 2),
    fmt(s.peakRssMb, 1),
    isServerScenario(s.scenario) ? '-' : fmt(s.deliveryMs),
    fmt(s.requests),
    String(s.lost),
    String(s.duplicates),
    s.stuckRuns === 0 ? `yes ${fmt(s.exitMs)}ms` : `NO (${s.stuckRuns}/${s.runs})`,
    isServerScenario(s.scenario) ? fmt(s.requestsPerSec) : '-',
    isServerScenario(s.scenario) ? fmt(s.cpuUsPerRequest, 1) : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Checks the targets against the summaries. */
export function checkTargets(summaries: readonly Summary[]): TargetCheck[] {
  const find = (scenario: ScenarioName, sdk: SdkName) =>
    summaries.find((s) => s.scenario === scenario && s.sdk === sdk);
  const peers = (scenario: ScenarioName) =>
    summaries.filter((s) => s.scenario === scenario && PEERS.includes(s.sdk));
  const checks: TargetCheck[] = [];
  const ratio = (a: number, b: number) => a / b;
  // `cohorly` (core's default, the global fetch) is what the targets are about; `cohorly-node`
  // (core with createNodeFetch(), as the Node integrations send) is checked alongside.
  for (const [scenario, sdk] of [
    ['burst', 'cohorly'],
    ['backfill', 'cohorly'],
    ['burst', 'cohorly-node'],
    ['backfill', 'cohorly-node'],
  ] as const) {
    const cohorly = find(scenario, sdk);
    const others = peers(scenario);
    if (!cohorly || others.length === 0) continue;
    const label = sdk === 'cohorly' ? scenario : `${scenario} (${sdk})`;
    const bestEps = Math.max(...others.map((s) => s.eventsPerSec));
    const bestCpu = Math.min(...others.map((s) => s.cpuUsPerEvent));
    const bestRss = Math.min(...others.map((s) => s.peakRssMb));
    const name = (value: number, pick: (s: Summary) => number) =>
      others.find((s) => pick(s) === value)?.sdk ?? '?';
    const eps = ratio(cohorly.eventsPerSec, bestEps);
    checks.push({
      target: `${label}: events/s >= 2.5x the best peer (${name(bestEps, (s) => s.eventsPerSec)})`,
      measured: `${fmt(eps, 2)}x`,
      met: eps >= 2.5,
    });
    const cpu = ratio(cohorly.cpuUsPerEvent, bestCpu);
    checks.push({
      target: `${label}: CPU/event <= 0.3x the best peer (${name(bestCpu, (s) => s.cpuUsPerEvent)})`,
      measured: `${fmt(cpu, 2)}x`,
      met: cpu <= 0.3,
    });
    const rss = ratio(cohorly.peakRssMb, bestRss);
    checks.push({
      target: `${label}: peak RSS <= 0.6x the best peer (${name(bestRss, (s) => s.peakRssMb)})`,
      measured: `${fmt(rss, 2)}x`,
      met: rss <= 0.6,
    });
    const raw = find(scenario, 'raw');
    if (raw) {
      const slower = ratio(raw.eventsPerSec, cohorly.eventsPerSec);
      checks.push({
        target: `${label}: within 1.5x of the raw baseline (raw events/s / cohorly events/s)`,
        measured: `${fmt(slower, 2)}x`,
        met: slower <= 1.5,
      });
      const cpuVsRaw = ratio(cohorly.cpuUsPerEvent, raw.cpuUsPerEvent);
      checks.push({
        target: `${label}: within 1.5x of the raw baseline (cohorly CPU/event / raw CPU/event)`,
        measured: `${fmt(cpuVsRaw, 2)}x`,
        met: cpuVsRaw <= 1.5,
      });
    }
  }
  for (const s of summaries.filter((x) => x.sdk === 'cohorly' || x.sdk === 'cohorly-node')) {
    checks.push({
      target: `${s.scenario}: ${s.sdk} loses 0 and duplicates 0 (worst of ${s.runs} runs)`,
      measured: `lost ${s.lost}, duplicates ${s.duplicates}`,
      met: s.lost === 0 && s.duplicates === 0 && s.failedRuns === 0,
    });
    checks.push({
      target: `${s.scenario}: ${s.sdk}'s process exits by itself after close`,
      measured: s.stuckRuns === 0 ? `all ${s.runs} runs` : `${s.stuckRuns} of ${s.runs} runs stuck`,
      met: s.stuckRuns === 0,
    });
  }
  const apps: Array<[ScenarioName, string]> = [
    ['express', 'an Express app calling core'],
    ['express-app', 'apps/express-example with @cohorly/express'],
    ['express-app-paced', 'apps/express-example with @cohorly/express, at a fixed rate'],
  ];
  for (const [scenario, what] of apps) {
    const bare = find(scenario, 'none');
    const withCohorly = find(scenario, 'cohorly');
    if (!bare || !withCohorly) continue;
    // At a fixed rate both apps serve the same requests: only the CPU they spend differs.
    if (scenario !== 'express-app-paced') {
      const kept = ratio(withCohorly.requestsPerSec, bare.requestsPerSec);
      checks.push({
        target: `${scenario}: ${what} keeps >= 95% of the bare app's req/s`,
        measured: `${fmt(kept * 100, 1)}%`,
        met: kept >= 0.95,
      });
    }
    // The same question asked of CPU time, which a shared machine disturbs far less.
    const cost = ratio(bare.cpuUsPerRequest, withCohorly.cpuUsPerRequest);
    checks.push({
      target: `${scenario}: ${what} keeps >= 95% of the bare app (bare CPU/request / cohorly CPU/request)`,
      measured: `${fmt(cost * 100, 1)}%`,
      met: cost >= 0.95,
    });
    // The same question asked of no SDK at all: how much of the target any SDK can reach.
    const floor = find(scenario, 'raw');
    if (floor) {
      const floorCost = ratio(bare.cpuUsPerRequest, floor.cpuUsPerRequest);
      checks.push({
        target: `${scenario}: for reference, the same app with no SDK (raw-middleware.ts) keeps >= 95% of the bare app (bare CPU/request / raw CPU/request)`,
        measured: `${fmt(floorCost * 100, 1)}%`,
        met: floorCost >= 0.95,
      });
    }
  }
  return checks;
}

/** The target checks as text, one per line. */
export function formatTargets(checks: readonly TargetCheck[]): string {
  return checks
    .map((c) => `${c.met ? 'met    ' : 'NOT MET'}  ${c.target}: ${c.measured}`)
    .join('\n');
}
