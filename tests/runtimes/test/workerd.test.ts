import { type RecordedRequest, startTestServer, type TestServer } from '@cohorly/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeRun, type Line } from './support/child-process.js';
import { locateRuntime, RUNTIMES_REQUIRED } from './support/runtimes.js';
import { runScenario } from './support/scenario.js';
import { normalizedBody, UUID4_HEX } from './support/wire.js';
import { startWorkerd, type Workerd } from './support/workerd.js';

// @cohorly/core's built dist/index.js in Cloudflare's workerd: fixtures/worker.js, an ES module
// worker served by `workerd serve` on 127.0.0.1, tracking on each request it gets and handing
// the flush to ctx.waitUntil, against a @cohorly/testing server on 127.0.0.1.

const TOKEN = 'workerd-token';
const WAIT_MS = 10_000;
const runtime = locateRuntime('workerd');
const skip = runtime.binary === undefined && !RUNTIMES_REQUIRED;
if (skip) console.warn(`runtimes: skipping workerd: ${runtime.missing}`);

let server: TestServer;
let workerd: Workerd | undefined;

/** GET `path` from the worker; the response's status and text. */
async function get(path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(workerd!.url + path, { signal: AbortSignal.timeout(WAIT_MS) });
  return { status: response.status, text: await response.text() };
}

/**
 * Waits (bounded) until the worker has logged `count` lines of `type` for requests whose id
 * is one of `ids` (the log spans every test: each uses ids of its own), and returns them.
 */
async function waitForLines(type: string, ids: readonly string[]): Promise<Line[]> {
  const count = ids.length;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const lines = workerd!
      .lines()
      .filter((line) => line.type === type && ids.includes(line.id as string));
    if (lines.length >= count) return lines;
    if (Date.now() > deadline) {
      throw new Error(
        `workerd logged ${lines.length} "${type}" lines, not ${count}\n${workerd!.output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function posts(): RecordedRequest[] {
  return server.requests().filter((request) => request.method === 'POST');
}

/** workerd said nothing about a failure: no uncaught error, no request of another's I/O. */
function expectQuietWorker(): void {
  const output = workerd!.output();
  expect(output).not.toMatch(/Uncaught|different request|Disallowed operation|exception/i);
  const failures = workerd!
    .lines()
    .filter((line) => ['route-error', 'shared-error'].includes(line.type));
  expect(failures, output).toEqual([]);
}

describe.skipIf(skip)('workerd', () => {
  beforeAll(async () => {
    if (runtime.binary === undefined) throw new Error(runtime.missing);
    server = await startTestServer();
    workerd = await startWorkerd(runtime.binary, server.url, TOKEN);
  });

  afterAll(async () => {
    workerd?.stop();
    await server?.close();
  });

  beforeEach(() => {
    server.reset();
  });

  it('Consumer in a request: track, importData, peopleSet and alias arrive as Node.js sends them', async () => {
    const node = await runScenario('node', 'consumer', server.url, TOKEN);
    expect(node.code, describeRun(node)).toBe(0);
    const fromNode = posts();
    server.reset();

    expect(await get('/consumer')).toEqual({ status: 200, text: 'delivered' });
    const sent = posts();
    expect(sent.map((request) => [request.path, request.status])).toEqual([
      ['/track', 200],
      ['/track', 200],
      ['/engage', 200],
      ['/alias', 200],
    ]);
    const event = sent[0]!.json as { properties: Record<string, unknown> };
    expect(event.properties.$insert_id).toMatch(UUID4_HEX);
    expect(Number.isInteger(event.properties.time)).toBe(true);
    expect(sent.map(normalizedBody)).toEqual(fromNode.map(normalizedBody));
    expectQuietWorker();
  });

  it('BufferedConsumer made per request: each request batch is flushed by ctx.waitUntil after the response', async () => {
    for (const id of ['r1', 'r2', 'r3']) {
      expect(await get(`/buffered?id=${id}`)).toEqual({ status: 200, text: 'queued' });
    }
    const flushes = await waitForLines('flush', ['r1', 'r2', 'r3']);
    // In any order: each request's waitUntil runs on its own.
    expect(flushes.map((line) => [line.id, line.result]).sort()).toEqual([
      ['r1', true],
      ['r2', true],
      ['r3', true],
    ]);
    // One array of three per request, each event stored once.
    expect(posts().map((request) => (request.json as unknown[]).length)).toEqual([3, 3, 3]);
    expect(server.events({ event: 'Per Request' })).toHaveLength(9);
    expectQuietWorker();
  });

  it('a 503 is retried after the backoff (injected clock and sleep) inside ctx.waitUntil; the batch arrives once', async () => {
    server.faults.next('/track', [{ status: 503 }]);
    expect(await get('/retry?id=retry-1')).toEqual({ status: 200, text: 'queued' });
    const [drain] = await waitForLines('drain', ['retry-1']);
    expect(drain!.result).toEqual({ report: { drained: true, undelivered: 0 }, sleeps: [2000] });
    const errors = workerd!
      .lines()
      .filter((line) => line.type === 'error' && line.id === 'retry-1');
    expect(errors).toMatchObject([{ code: 'server_error', status: 503 }]);
    expect(posts().map((request) => request.status)).toEqual([503, 200]);
    expect(server.events({ event: 'Retried' }).map((stored) => stored.properties.n)).toEqual([
      0, 1, 2,
    ]);
  });

  it('a 400 reaches onError and the flush in ctx.waitUntil, naming the server answer', async () => {
    server.faults.next('/track', [{ status: 400, body: { error: 'bad event', index: 0 } }]);
    expect(await get('/buffered?id=bad-1')).toEqual({ status: 200, text: 'queued' });
    const [flush] = await waitForLines('flush', ['bad-1']);
    expect(flush!.error).toMatchObject({ code: 'rejected', status: 400 });
    expect((flush!.error as { message: string }).message).toContain(
      'rejected a batch of 3 messages; they were dropped (status 400): {"error":"bad event","index":0}',
    );
    const errors = workerd!.lines().filter((line) => line.type === 'error' && line.id === 'bad-1');
    expect(errors).toHaveLength(1);
    expect(server.events()).toEqual([]);
    expect(workerd!.output()).not.toContain(TOKEN);
  });

  it('a client made at global scope serves sequential, then concurrent requests', async () => {
    for (const id of ['s1', 's2', 's3']) {
      expect(await get(`/shared?id=${id}`)).toEqual({ status: 200, text: 'queued' });
    }
    await server.waitForEvents(3, { timeoutMs: WAIT_MS });
    // A slow answer keeps the first batch in flight while the other requests queue behind it:
    // their flushes join a drain that another request started.
    server.faults.next('/track', [{ delayMs: 300 }]);
    const ids = Array.from({ length: 10 }, (_, n) => `c${n}`);
    const answers = await Promise.all(ids.map((id) => get(`/shared?id=${id}`)));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);

    const stored = await server.waitForEvents(13, { timeoutMs: WAIT_MS });
    expect(stored.map((event) => event.distinctId).sort()).toEqual(
      ['s1', 's2', 's3', ...ids].sort(),
    );
    const flushes = await waitForLines('shared-flush', ['s1', 's2', 's3', ...ids]);
    // Every flush settled, none failed.
    expect(flushes.filter((line) => line.error !== undefined)).toEqual([]);
    expectQuietWorker();
  });
});
