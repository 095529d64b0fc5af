import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ScenarioName, SdkName } from './adapters/types.js';
import type { ChildMessage, ChildResult, ChildSpec } from './protocol.js';
import type { Sink, SinkCounts } from './sink.js';

/** Everything one `pnpm bench` (or the smoke test) runs. */
export interface BenchConfig {
  /** Runs per scenario and SDK, each in a fresh child process. */
  runs: number;
  scenarios: ScenarioName[];
  /** SDKs per scenario; the order rotates from one run to the next. */
  sdks: Record<ScenarioName, SdkName[]>;
  burstEvents: number;
  backfillEvents: number;
  outage: { events: number; trackMs: number; outageMs: number };
  /**
   * autocannon's load: `pacedRate` is the fixed request rate of `express-app-paced` (every
   * other app scenario runs at full load).
   */
  express: { seconds: number; connections: number; pacedRate: number };
  /** A child that has not exited this long after reporting is killed and marked. */
  exitBoundMs: number;
  /** A run that takes longer than this is killed and reported as failed. */
  runTimeoutMs: number;
}

/** One run of one SDK in one scenario. */
export interface RunResult {
  scenario: ScenarioName;
  sdk: SdkName;
  run: number;
  /** Set when the run failed (crash, timeout); the other figures are then partial. */
  failure?: string;
  tracked: number;
  delivered: number;
  /** `tracked - delivered`: events the sink never accepted. */
  lost: number;
  duplicates: number;
  requests: number;
  rejectedRequests: number;
  /** Delivered events per second, from the first track call to the last accepted event. */
  eventsPerSec: number;
  /** CPU microseconds per tracked event, first track call to the end of close. */
  cpuUsPerEvent: number;
  /** The part of `cpuUsPerEvent` spent while tracking (before close). */
  trackCpuUsPerEvent: number;
  /** express: CPU microseconds of the app per request served (the bare app too). */
  cpuUsPerRequest?: number;
  peakRssMb: number;
  startRssMb: number;
  /** From the first track call to the last event accepted by the sink, in ms. */
  deliveryMs: number;
  /** From the first track call to the end of close, in ms. */
  closeMs: number;
  /** True when the child exited by itself within `exitBoundMs` of closing. */
  exitedByItself: boolean;
  /** From the child's report to its exit, in ms (the bound when it had to be killed). */
  exitMs: number;
  sdkErrors: number;
  /** express only: autocannon's figures. */
  requestsPerSec?: number;
  latencyP99Ms?: number;
  non2xx?: number;
  sink: SinkCounts;
}

// Children always run the compiled harness, also when this module is imported from src/.
/** Child processes running now (a run's child, or its load generator). */
const live = new Set<ChildProcess>();

/** Kills every child process still running (on Ctrl-C, or when a test gives up). */
export function killChildren(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

const distDir = fileURLToPath(new URL('../dist/', import.meta.url));
const scriptPath = (name: string) => `${distDir}${name}.js`;

/** Lines of JSON from a child's stdout, as an async queue. */
function messagesOf(child: ChildProcess): AsyncIterator<ChildMessage> {
  const lines = createInterface({ input: child.stdout! });
  const iterator = lines[Symbol.asyncIterator]();
  return {
    async next() {
      for (;;) {
        const { value, done } = await iterator.next();
        if (done) return { value: undefined, done: true };
        if (value.startsWith('{')) return { value: JSON.parse(value) as ChildMessage, done: false };
      }
    },
  };
}

/** Runs autocannon in its own process against `url`. */
async function runLoad(
  url: string,
  seconds: number,
  connections: number,
  headers: Record<string, string> = {},
  rate = 0,
): Promise<{ requestsPerSec: number; latencyP99Ms: number; non2xx: number; errors: number }> {
  const child = spawn(
    process.execPath,
    [
      scriptPath('load'),
      url,
      String(seconds),
      String(connections),
      JSON.stringify(headers),
      String(rate),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  live.add(child);
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  const [code] = await once(child, 'exit');
  live.delete(child);
  if (code !== 0) throw new Error(`autocannon exited with ${code}`);
  return JSON.parse(out.trim());
}

/** Runs one SDK in one scenario in a fresh child process, with `sink` reset for it. */
export async function runOne(
  sink: Sink,
  config: BenchConfig,
  scenario: ScenarioName,
  sdk: SdkName,
  run: number,
): Promise<RunResult> {
  sink.reset();
  const events =
    scenario === 'burst'
      ? config.burstEvents
      : scenario === 'backfill'
        ? config.backfillEvents
        : config.outage.events;
  const spec: ChildSpec = {
    sdk,
    scenario,
    sinkUrl: sink.url,
    events,
    queueCap: Math.max(config.burstEvents, config.backfillEvents, config.outage.events),
    trackMs: config.outage.trackMs,
  };
  // Fails from before the child's first request until the child says when it started.
  if (scenario === 'outage') sink.failUntil(Number.POSITIVE_INFINITY);
  const child = spawn(process.execPath, [scriptPath('child'), JSON.stringify(spec)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = once(child, 'exit').then(() => performance.now());
  const watchdog = setTimeout(() => child.kill('SIGKILL'), config.runTimeoutMs);
  let result: ChildResult | undefined;
  let load: Awaited<ReturnType<typeof runLoad>> | undefined;
  let failure: string | undefined;
  try {
    const messages = messagesOf(child);
    for (;;) {
      const { value, done } = await messages.next();
      if (done) break;
      if (value.type === 'started') sink.failUntil(value.t0 + config.outage.outageMs);
      if (value.type === 'listening') {
        load = await runLoad(
          `http://127.0.0.1:${value.port}${value.path ?? '/'}`,
          config.express.seconds,
          config.express.connections,
          value.headers,
          scenario === 'express-app-paced' ? config.express.pacedRate : 0,
        );
        child.stdin!.write('stop\n');
      }
      if (value.type === 'result') {
        result = value;
        break;
      }
    }
  } catch (error) {
    failure = String(error);
  }
  const reportedAt = performance.now();
  const exitTimer = setTimeout(() => child.kill('SIGKILL'), config.exitBoundMs);
  const exitAt = await exited;
  live.delete(child);
  child.stdin!.destroy();
  clearTimeout(exitTimer);
  clearTimeout(watchdog);
  const exitedByItself = child.signalCode === null;
  // Requests the child sent just before exiting may still be in the sink's event loop.
  await sleep(50);
  sink.failUntil(0);
  const counts = sink.counts();
  if (!result)
    failure ??= `the child reported nothing (exit ${child.exitCode ?? child.signalCode}): ${stderr}`;
  const tracked = result?.tracked ?? 0;
  const t0 = result?.t0 ?? 0;
  const deliveryMs = counts.lastAcceptedAt > 0 ? counts.lastAcceptedAt - t0 : Number.NaN;
  return {
    scenario,
    sdk,
    run,
    ...(failure ? { failure } : {}),
    tracked,
    delivered: counts.delivered,
    lost: tracked - counts.delivered,
    duplicates: counts.duplicates,
    requests: counts.requests,
    rejectedRequests: counts.rejectedRequests,
    eventsPerSec: counts.delivered > 0 ? counts.delivered / (deliveryMs / 1000) : 0,
    cpuUsPerEvent: result && tracked > 0 ? result.cpuUs / tracked : Number.NaN,
    trackCpuUsPerEvent: result && tracked > 0 ? result.trackCpuUs / tracked : Number.NaN,
    peakRssMb: result?.peakRssMb ?? Number.NaN,
    startRssMb: result?.startRssMb ?? Number.NaN,
    deliveryMs,
    closeMs: result ? result.closedAt - result.t0 : Number.NaN,
    exitedByItself: result !== undefined && exitedByItself,
    exitMs: exitAt - reportedAt,
    sdkErrors: result?.errors ?? 0,
    ...(load && result
      ? {
          requestsPerSec: load.requestsPerSec,
          latencyP99Ms: load.latencyP99Ms,
          non2xx: load.non2xx,
          cpuUsPerRequest: result.served > 0 ? result.cpuUs / result.served : Number.NaN,
        }
      : {}),
    sink: counts,
  };
}

/** `list` rotated left by `by`, so that no SDK always runs first (or last). */
export function rotate<T>(list: readonly T[], by: number): T[] {
  const k = list.length === 0 ? 0 : by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/**
 * Runs every scenario: for each run, every SDK once, in an order that rotates between
 * runs, so that slow drifts of a shared machine spread over all SDKs.
 */
export async function runBench(
  sink: Sink,
  config: BenchConfig,
  onResult: (result: RunResult) => void = () => undefined,
): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const scenario of config.scenarios) {
    for (let run = 0; run < config.runs; run++) {
      for (const sdk of rotate(config.sdks[scenario], run)) {
        const result = await runOne(sink, config, scenario, sdk, run);
        results.push(result);
        onResult(result);
      }
    }
  }
  return results;
}
