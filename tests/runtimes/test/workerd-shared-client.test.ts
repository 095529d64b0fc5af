import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { locateRuntime, RUNTIMES_REQUIRED } from './support/runtimes.js';
import { startWorkerd, type Workerd } from './support/workerd.js';

// A global-scope client whose batch fills inside one request: the drain it starts belongs to
// that request, and workerd cancels its I/O when the request ends.

const TOKEN = 'workerd-token';
const WAIT_MS = 10_000;
const WORKER = new URL('../fixtures/worker-shared-batches.js', import.meta.url).pathname;
const runtime = locateRuntime('workerd');
const skip = runtime.binary === undefined && !RUNTIMES_REQUIRED;

let server: TestServer | undefined;
let workerd: Workerd | undefined;

afterEach(async () => {
  workerd?.stop();
  workerd = undefined;
  await server?.close();
  server = undefined;
});

async function get(path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(workerd!.url + path, { signal: AbortSignal.timeout(WAIT_MS) });
  return { status: response.status, text: await response.text() };
}

/**
 * Waits (bounded) until the server has received `count` POSTs to /track, answered or not; with
 * `answered`, until it has also answered every one of them (the slow answers are over).
 */
async function posted(count: number, answered = false): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  const tracks = () => server!.requests().filter((request) => request.path === '/track');
  const done = () =>
    tracks().length >= count && (!answered || tracks().every((request) => request.status !== null));
  while (!done()) {
    if (Date.now() > deadline) {
      throw new Error(
        `/track received ${tracks().length} requests, not ${count}${answered ? ' all answered' : ''}\n${workerd!.output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(skip)('workerd: a global-scope client whose batches fill inside requests', () => {
  it('requests that await track() and hand flush() to waitUntil deliver every event, and the client keeps working', async () => {
    server = await startTestServer();
    workerd = await startWorkerd(runtime.binary!, server.url, TOKEN, WORKER);
    // Slow answers: a batch is still on the wire when the request whose waitUntil covered it ends.
    server.faults.next('/track', [{ delayMs: 500 }, { delayMs: 500 }]);
    const first = get('/?id=a');
    await posted(1);
    const answers = await Promise.all([first, get('/?id=b'), get('/?id=c')]);
    // Later requests, once the slow batches are over.
    await posted(2, true);
    answers.push(await get('/?id=d'), await get('/?id=e'));
    expect(
      answers.map((answer) => answer.status),
      workerd.output(),
    ).toEqual([200, 200, 200, 200, 200]);
    const stored = await server
      .waitForEvents(5, { timeoutMs: 3000 })
      .catch((error: Error) => Promise.reject(new Error(`${error.message}\n${workerd!.output()}`)));
    expect(stored.map((event) => event.distinctId).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(workerd.output()).not.toMatch(/can never settle|Uncaught/);
  });

  it('a fire-and-forget track() that fills a batch does not stop the client for later requests', async () => {
    server = await startTestServer();
    workerd = await startWorkerd(runtime.binary!, server.url, TOKEN, WORKER);
    server.faults.next('/track', [{ delayMs: 500 }]);
    // The second fills the batch: its drain starts in that request, which ends at once.
    expect(await get('/fire?id=f1')).toEqual({ status: 200, text: 'queued' });
    expect(await get('/fire?id=f2')).toEqual({ status: 200, text: 'queued' });
    // Time for workerd to end f2's request with its drain: nothing observable marks that
    // moment (the drain never reaches the server), so this one wait is on the clock of
    // another process, which fake timers cannot reach.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Requests done the documented way: their events must arrive.
    const answers = [await get('/?id=x1'), await get('/?id=x2')];
    expect(
      answers.map((answer) => answer.status),
      workerd.output(),
    ).toEqual([200, 200]);
    const stored = await server
      .waitForEvents({ event: 'Tracked' }, { count: 2, timeoutMs: 3000 })
      .catch((error: Error) => Promise.reject(new Error(`${error.message}\n${workerd!.output()}`)));
    expect(stored.map((event) => event.distinctId).sort()).toEqual(['x1', 'x2']);
  });

  it('an awaited track() that fills a batch while the drain of an ended request is stuck resolves, and every event arrives', async () => {
    server = await startTestServer();
    workerd = await startWorkerd(runtime.binary!, server.url, TOKEN, WORKER);
    server.faults.next('/track', [{ delayMs: 500 }]);
    // f2 fills a batch: its drain, and the promise its track() returned, belong to that
    // request, which ends at once, with the batch on the wire.
    expect(await get('/fire?id=f1')).toEqual({ status: 200, text: 'queued' });
    expect(await get('/fire?id=f2')).toEqual({ status: 200, text: 'queued' });
    expect(await get('/fire?id=f3')).toEqual({ status: 200, text: 'queued' });
    // y's track() fills the next batch and joins that drain: it must not reject.
    expect(await get('/?id=y'), workerd.output()).toEqual({ status: 200, text: 'queued' });
    const stored = await server
      .waitForEvents(4, { timeoutMs: 3000 })
      .catch((error: Error) => Promise.reject(new Error(`${error.message}\n${workerd!.output()}`)));
    // Each once: the batch resent after its drain was given up is deduplicated by the server.
    expect(stored.map((event) => event.distinctId).sort()).toEqual(['f1', 'f2', 'f3', 'y']);
    expect(workerd.output()).not.toMatch(/can never settle|Uncaught|route-error|shared-error/);
  });
});
