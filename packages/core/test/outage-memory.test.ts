// A long outage must cost a bounded amount of memory: the queue cap (maxQueueSize, 1000 by
// default) holds, the oldest messages are dropped, and every drop is counted and reported.
// Measured in a process of its own, on the built package, as an app would run it.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, it, onTestFinished } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const EVENTS = 100_000;
const MAX_QUEUE_SIZE = 1000;
// Generous on purpose: a queue that grew with the outage would hold ~100,000 JSON events,
// while the capped one holds 1000 (well under 1 MiB). Not a timing assertion.
const RSS_BOUND_BYTES = 64 * 1024 * 1024;
// ~1.5-3 s on a quiet 2-core machine, CPU heavy: bound the child well above that, and give
// the test room above the bound so that it is the child, not vitest's timeout, that ends a hang.
const CHILD_KILL_MS = 30_000;
const TEST_TIMEOUT_MS = CHILD_KILL_MS + 15_000;

/** A port on 127.0.0.1 that refuses connections: one that was just listened on and closed. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function runScript(
  source: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', source], {
      stdio: 'pipe',
    });
    // Whatever happens to the test (a failed assertion, vitest's timeout), the child dies with it.
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // Bounded: a process that does not exit by itself within CHILD_KILL_MS fails the test.
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_KILL_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

it(`keeps memory bounded over ${EVENTS} events tracked while the server is down`, {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const apiHost = `http://127.0.0.1:${await refusedPort()}`;
  const result = await runScript(`
    import { Cohorly, BufferedConsumer } from ${JSON.stringify(dist)};
    process.on('unhandledRejection', (reason) => {
      console.error('unhandledRejection', reason);
      process.exitCode = 1;
    });
    const reported = { overflow: 0, network: 0, other: 0 };
    // Default options but the host: maxQueueSize 1000, maxSize 50, a 10 s flush interval.
    const consumer = new BufferedConsumer({
      apiHost: ${JSON.stringify(apiHost)},
      onError: (error) => {
        if (error.code === 'overflow') reported.overflow += error.messages;
        else if (error.code === 'network_error') reported.network += 1;
        else reported.other += 1;
      },
    });
    const client = new Cohorly('T', { consumer });
    const memory = () => {
      globalThis.gc();
      return process.memoryUsage();
    };
    const rss = () => memory().rss;
    // A first event and its failed delivery: what any running app has already allocated.
    await client.track('warm-up', 'Warm Up');
    await consumer.flush();
    const heapBefore = memory().heapUsed;
    const before = rss();
    let peak = before;
    for (let i = 0; i < ${EVENTS - 1}; i += 1) {
      // Awaited, as a request handler would: each 50th call attempts a delivery (refused,
      // then inside the backoff window).
      await client.track('user-' + (i % 5000), 'Page Viewed', { i, path: '/pricing', plan: 'pro' });
      if (i % 10_000 === 0) peak = Math.max(peak, rss());
    }
    const after = rss();
    const heapGrowth = memory().heapUsed - heapBefore;
    peak = Math.max(peak, after);
    const report = await client.close({ timeoutMs: 100 });
    console.log(JSON.stringify({ growth: after - before, heapGrowth, peakGrowth: peak - before, report, reported, stats: consumer.stats() }));
  `);

  expect(result.stderr).toBe('');
  // The process ended by itself after close(), with the server still down.
  expect(result.code).toBe(0);
  const { growth, heapGrowth, peakGrowth, report, reported, stats } = JSON.parse(result.stdout);
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  console.log(
    `RSS growth over ${EVENTS} events during an outage: ${mib(growth)} (peak ${mib(peakGrowth)}, bound ${mib(RSS_BOUND_BYTES)}); heap after GC: ${mib(heapGrowth)}`,
  );
  expect(peakGrowth).toBeLessThan(RSS_BOUND_BYTES);
  // What is actually retained: the capped queue, well under a MiB (RSS also counts the
  // young generation and compiled code, which V8 keeps once grown).
  expect(heapGrowth).toBeLessThan(RSS_BOUND_BYTES / 4);
  expect(report).toMatchObject({
    drained: false,
    sent: 0,
    undelivered: MAX_QUEUE_SIZE,
    queued: { events: MAX_QUEUE_SIZE, people: 0, alias: 0 },
    dropped: { overflow: EVENTS - MAX_QUEUE_SIZE, rejected: 0, oversized: 0 },
  });
  expect(stats.dropped.overflow).toBe(EVENTS - MAX_QUEUE_SIZE);
  // Every drop was reported through onError, and the refused deliveries too.
  expect(reported.overflow).toBe(EVENTS - MAX_QUEUE_SIZE);
  expect(reported.network).toBeGreaterThan(0);
  expect(reported.other).toBe(0);
});
