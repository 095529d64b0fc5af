import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdapter } from './adapters/index.js';
import { type Adapter, CLOSE_TIMEOUT_MS, isExampleAppScenario } from './adapters/types.js';
import {
  EXAMPLE_HEADERS,
  EXAMPLE_PATH,
  type ExampleApp,
  loadExampleApp,
  shopAnalytics,
} from './example-app.js';
import { type ChildMessage, type ChildResult, type ChildSpec, epochNow } from './protocol.js';

/** The period of the outage scenario's tracking loop. */
const OUTAGE_TICK_MS = 10;

const emit = (message: ChildMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);

/** Set once the result is written; until then, losing the parent ends the run. */
let reported = false;

/**
 * Listens to the parent on stdin: resolves on `stop` (the end of the express scenario), and
 * exits when stdin ends before the result is written (the parent is gone: nobody will read
 * this run). The pipe is unref'd, so that it never keeps this process alive: whether the SDK
 * does is what the parent measures.
 */
function parentStop(): Promise<void> {
  const stop = new Promise<void>((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      if (line.trim() === 'stop') resolve();
    });
    lines.on('close', () => {
      if (!reported) process.exit(2);
    });
  });
  (process.stdin as { unref?: () => void }).unref?.();
  return stop;
}

interface Window {
  tracked: number;
  served: number;
  t0: number;
  trackedAt: number;
  /** CPU used from the first track call until the last one returned. */
  trackCpu: NodeJS.CpuUsage;
}

/** N `track` calls in a tight loop. */
function burst(adapter: Adapter, spec: ChildSpec): Window {
  const t0 = epochNow();
  const cpu = process.cpuUsage();
  for (let i = 0; i < spec.events; i++) adapter.track(i);
  return {
    tracked: spec.events,
    served: spec.events,
    t0,
    trackedAt: epochNow(),
    trackCpu: process.cpuUsage(cpu),
  };
}

/** N awaited `track` calls. */
async function backfill(adapter: Adapter, spec: ChildSpec): Promise<Window> {
  const t0 = epochNow();
  const cpu = process.cpuUsage();
  for (let i = 0; i < spec.events; i++) await adapter.trackAwaited(i);
  return {
    tracked: spec.events,
    served: spec.events,
    t0,
    trackedAt: epochNow(),
    trackCpu: process.cpuUsage(cpu),
  };
}

/** `events` tracked evenly over `trackMs` while the parent's sink answers 503. */
async function outage(adapter: Adapter, spec: ChildSpec): Promise<Window> {
  const ticks = Math.max(Math.round(spec.trackMs / OUTAGE_TICK_MS), 1);
  const t0 = epochNow();
  const cpu = process.cpuUsage();
  emit({ type: 'started', t0 });
  let i = 0;
  for (let tick = 0; tick < ticks; tick++) {
    const end = Math.round(((tick + 1) * spec.events) / ticks);
    while (i < end) adapter.track(i++);
    const wait = t0 + (tick + 1) * OUTAGE_TICK_MS - epochNow();
    if (wait > 0) await sleep(wait);
  }
  return { tracked: i, served: i, t0, trackedAt: epochNow(), trackCpu: process.cpuUsage(cpu) };
}

/** An Express 5 app tracking one event per request, until the parent writes `stop`. */
async function express(
  adapter: Adapter,
  createApp: typeof import('express'),
  bare: boolean,
  stop: Promise<void>,
): Promise<Window & { stopServer: () => void }> {
  const app = createApp();
  let served = 0;
  app.get('/', (_req, res) => {
    adapter.track(served++);
    res.send('ok');
  });
  return serveUntilStop(createServer(app), stop, () => served, bare);
}

/**
 * Serves `server` on 127.0.0.1 until the parent writes `stop`, measuring from the moment it
 * listens; `served()` counts the requests that tracked (or, bare, would have tracked) one
 * event. `load` tells the parent where to send autocannon.
 */
async function serveUntilStop(
  server: Server,
  stop: Promise<void>,
  served: () => number,
  bare: boolean,
  load: { path?: string; headers?: Record<string, string> } = {},
): Promise<Window & { stopServer: () => void }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const t0 = epochNow();
  const cpu = process.cpuUsage();
  emit({ type: 'listening', port: (server.address() as AddressInfo).port, ...load });
  await stop;
  const count = served();
  return {
    // The bare app tracks nothing.
    tracked: bare ? 0 : count,
    served: count,
    t0,
    trackedAt: epochNow(),
    trackCpu: process.cpuUsage(cpu),
    stopServer: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

/**
 * `apps/express-example`, with its own Cohorly middleware (sdk `cohorly`), with the floor of
 * any SDK (`raw`: `raw-middleware.ts`) or without any (`none`), until the parent writes
 * `stop`. The SDK is inside the app: `track` is the app's own `GET /products` handler,
 * `close` its middleware's `close()`.
 */
async function exampleApp(
  example: ExampleApp,
  spec: ChildSpec,
  stop: Promise<void>,
): Promise<{ adapter: Adapter; run: () => Promise<Window & { stopServer: () => void }> }> {
  const bare = spec.sdk === 'none';
  const analytics = shopAnalytics(example, spec.sdk, spec.sinkUrl);
  const app = example.createApp({ analytics, exportRowDelayMs: 0 });
  let undelivered = 0;
  const adapter: Adapter = {
    track: () => undefined,
    trackAwaited: () => Promise.resolve(),
    close: async () => {
      if (!analytics) return;
      undelivered = (await analytics.close({ timeoutMs: CLOSE_TIMEOUT_MS })).undelivered;
    },
    errors: () => undelivered,
  };
  const run = () => {
    let served = 0;
    const server = createServer((req, res) => {
      if (req.url === EXAMPLE_PATH) served += 1;
      app(req, res);
    });
    return serveUntilStop(server, stop, () => served, bare, {
      path: EXAMPLE_PATH,
      headers: EXAMPLE_HEADERS,
    });
  };
  return { adapter, run };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as ChildSpec;
  const stop = parentStop();
  // The example app is loaded before the measurement starts, like an SDK.
  const example = isExampleAppScenario(spec.scenario)
    ? await exampleApp(await loadExampleApp(), spec, stop)
    : undefined;
  const adapter =
    example?.adapter ??
    (await createAdapter(spec.sdk, {
      sinkUrl: spec.sinkUrl,
      scenario: spec.scenario,
      queueCap: spec.queueCap,
    }));
  // Loaded before the measurement starts, like the SDK itself.
  const createApp = spec.scenario === 'express' ? (await import('express')).default : undefined;
  const startRss = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  let window: Window;
  let stopServer: (() => void) | undefined;
  if (spec.scenario === 'burst') window = burst(adapter, spec);
  else if (spec.scenario === 'backfill') window = await backfill(adapter, spec);
  else if (spec.scenario === 'outage') window = await outage(adapter, spec);
  else if (example) ({ stopServer, ...window } = await example.run());
  else ({ stopServer, ...window } = await express(adapter, createApp!, spec.sdk === 'none', stop));
  await adapter.close();
  const closedAt = epochNow();
  const cpu = process.cpuUsage(cpuBefore);
  stopServer?.();
  const { trackCpu, ...times } = window;
  const result: ChildResult = {
    type: 'result',
    ...times,
    closedAt,
    cpuUs: cpu.user + cpu.system,
    systemCpuUs: cpu.system,
    trackCpuUs: trackCpu.user + trackCpu.system,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    startRssMb: startRss / 2 ** 20,
    errors: adapter.errors(),
  };
  emit(result);
  reported = true;
  // No process.exit(): the parent measures whether the SDK lets the process end by itself.
}

main().catch((error) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
