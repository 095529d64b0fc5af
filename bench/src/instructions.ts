import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EXAMPLE_HEADERS, EXAMPLE_PATH } from './example-app.js';
import { median } from './report.js';
import { startSink } from './sink.js';

/**
 * Instructions per request of `apps/express-example` bare, with `@cohorly/express`, and with
 * the floor of any SDK (no SDK: the same events, JSON, POSTed 50 at a time), counted by
 * valgrind's callgrind: `node dist/instructions.js [requests] [runs] [warm-up]` (10,000
 * counted requests after 2,000 warm-up ones, 2 runs each, by default). The apps run on the
 * Node.js that runs this script, so another version is measured by running this with it.
 *
 * Unlike CPU time, the count does not depend on what else the machine is doing: with V8 on
 * one thread (`--predictable`) it answers "what does the middleware cost per request" on a
 * shared, noisy VM where req/s varies by ±15% from run to run. What still moves it is the
 * major garbage collections that fall inside the window (the shop runs one about every
 * 2,000 requests): 3,000-request windows vary by ±3%, 10,000-request ones by under 1%. It
 * counts instructions, not time: what cache misses and the kernel cost is left out. Needs
 * `valgrind` (Debian's package); 2 to 4 minutes per app and run.
 */
const run = promisify(execFile);
const CONNECTIONS = 10;

async function main(): Promise<void> {
  const requests = Number(process.argv[2] ?? 10_000);
  const runs = Number(process.argv[3] ?? 2);
  const warmUp = Number(process.argv[4] ?? 2000);
  try {
    await run('valgrind', ['--version']);
  } catch {
    throw new Error('instructions.js needs valgrind: apt-get install valgrind');
  }
  const sink = await startSink();
  const dir = await mkdtemp(join(tmpdir(), 'cohorly-callgrind-'));
  const counts: Record<Variant, number[]> = { none: [], cohorly: [], raw: [] };
  try {
    for (let i = 0; i < runs; i++) {
      // Alternating, like the rest of the bench.
      const order = i % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const variant of order) {
        sink.reset();
        const perRequest = await measure(variant, sink.url, requests, warmUp, dir);
        // Every request tracked one event, and close() delivered them all.
        const delivered = sink.counts().delivered;
        const expected = variant === 'none' ? 0 : warmUp + requests;
        if (delivered !== expected) {
          throw new Error(`${variant}: the sink received ${delivered} events, not ${expected}`);
        }
        counts[variant].push(perRequest);
        console.log(
          `${variant.padEnd(8)} ${Math.round(perRequest).toLocaleString('en')} instructions/request`,
        );
      }
    }
  } finally {
    await sink.close();
    await rm(dir, { recursive: true, force: true });
  }
  const none = median(counts.none);
  const cohorly = median(counts.cohorly);
  const raw = median(counts.raw);
  const n = (count: number) => Math.round(count).toLocaleString('en');
  const extra = (count: number) =>
    `+${n(count - none)} (+${((count / none - 1) * 100).toFixed(1)}%), bare/it ${((none / count) * 100).toFixed(1)}%`;
  console.log(`\nmedians of ${runs} runs, instructions per request (Node ${process.version}):`);
  console.log(`  bare shop                 ${n(none)}`);
  console.log(`  with @cohorly/express     ${n(cohorly)}: ${extra(cohorly)}`);
  console.log(`  with no SDK (the floor)   ${n(raw)}: ${extra(raw)}`);
  console.log(
    `  Cohorly's extra over the floor's: ${((cohorly - none) / (raw - none)).toFixed(2)}x`,
  );
}

/**
 * The shop three ways: bare; with `@cohorly/express` as the shop sets it up; with the
 * floor of any SDK (`raw-middleware.ts`: the same events, JSON and POSTed, nothing else).
 */
const VARIANTS = ['none', 'cohorly', 'raw'] as const;
type Variant = (typeof VARIANTS)[number];

/** One app under callgrind: `warmUp` requests, then `requests` counted ones. */
async function measure(
  variant: Variant,
  sinkUrl: string,
  requests: number,
  warmUp: number,
  dir: string,
) {
  const out = join(dir, `${variant}-${Date.now()}`);
  const app = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      // V8 writes machine code at run time: valgrind must notice it.
      '--smc-check=all-non-file',
      '--separate-threads=yes',
      `--callgrind-out-file=${out}.%p`,
      process.execPath,
      // V8 on one thread: its compiler and garbage collector count too, and run where the
      // same requests put them, not where another thread's timing does.
      '--predictable',
      fileURLToPath(new URL('instructions-app.js', import.meta.url)),
      variant,
      sinkUrl,
    ],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  const lines = createInterface({ input: app.stdout! })[Symbol.asyncIterator]();
  const port = Number((await lines.next()).value);
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  try {
    // Warm-up, so that the optimizing compiler is done before the count starts.
    await load(port, agent, warmUp);
    await run('callgrind_control', ['--zero', String(app.pid)]);
    await load(port, agent, requests);
    await run('callgrind_control', ['--dump=measured', String(app.pid)]);
  } finally {
    agent.destroy();
    app.stdin!.end();
  }
  const [code] = await once(app, 'exit');
  if (code !== 0) throw new Error(`${variant}: the app exited with ${code}`);
  // Thread 1 of dump 1: the main thread, from the zeroing to the dump.
  const file = (await readdir(dir)).find(
    (name) => name.startsWith(`${variant}-`) && name.endsWith('.1-01'),
  );
  if (!file) throw new Error(`${variant}: callgrind wrote no dump`);
  const text = await readFile(join(dir, file), 'utf8');
  const total = /^(?:summary|totals): (\d+)/m.exec(text);
  if (!total) throw new Error(`${variant}: no total in ${file}`);
  await rm(join(dir, file));
  return Number(total[1]) / requests;
}

/** `count` GET requests of the shop's catalog, `CONNECTIONS` at a time. */
async function load(port: number, agent: Agent, count: number): Promise<void> {
  let started = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: EXAMPLE_PATH, agent, headers: EXAMPLE_HEADERS },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end();
    });
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (started < count) {
        started += 1;
        await one();
      }
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
