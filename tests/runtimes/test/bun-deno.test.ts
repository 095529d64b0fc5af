import { type RecordedRequest, startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, lineOf, type ScriptResult } from './support/child-process.js';
import { locateRuntime, RUNTIMES_REQUIRED } from './support/runtimes.js';
import { runScenario } from './support/scenario.js';
import { normalizedBody, UUID4_HEX } from './support/wire.js';

// @cohorly/core's built package (dist/index.js, through node_modules) run by Bun and Deno as
// real child processes: fixtures/scenarios.mjs, against a @cohorly/testing server on
// 127.0.0.1. Node.js runs the same script where the wire format is compared.

const TOKEN = 'runtime-token';

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** What every scenario run must show, whatever it tested: it ran core's dist and ended cleanly. */
function expectCleanRun(result: ScriptResult): void {
  expect(result.killed, describeRun(result)).toBe(false);
  expect(result.code, describeRun(result)).toBe(0);
  expect(result.lines.filter((line) => line.type === 'unhandled-rejection')).toEqual([]);
  expect(lineOf(result, 'resolved').core).toMatch(/\/packages\/core\/dist\/index\.js$/);
  lineOf(result, 'end');
  expect(result.stderr, describeRun(result)).toBe('');
}

/** The POSTs the server received, in order. */
function posts(): RecordedRequest[] {
  return server!.requests().filter((request) => request.method === 'POST');
}

for (const runtime of [locateRuntime('bun'), locateRuntime('deno')]) {
  const skip = runtime.binary === undefined && !RUNTIMES_REQUIRED;
  if (skip) console.warn(`runtimes: skipping ${runtime.name}: ${runtime.missing}`);

  describe.skipIf(skip)(runtime.name, () => {
    beforeAll(() => {
      // On linux-x64 (CI) a missing binary is a failure, never a skip.
      if (runtime.binary === undefined) throw new Error(runtime.missing);
    });

    it('Consumer: track, importData, peopleSet and alias arrive with the wire format Node.js sends', async () => {
      server = await startTestServer();
      const node = await runScenario('node', 'consumer', server.url, TOKEN);
      expectCleanRun(node);
      const fromNode = posts();
      server.reset();

      const before = Date.now();
      const result = await runScenario(runtime, 'consumer', server.url, TOKEN);
      const after = Date.now();
      expectCleanRun(result);
      const sent = posts();

      expect(sent.map((request) => [request.path, request.status])).toEqual([
        ['/track', 200],
        ['/track', 200],
        ['/engage', 200],
        ['/alias', 200],
      ]);
      for (const request of sent) {
        expect(request.headers['content-type']).toBe('application/json');
      }
      // Each message alone, never in an array; properties stamped first, in the contract's order.
      const [track, imported, engage, alias] = sent;
      const event = track!.json as { event: string; properties: Record<string, unknown> };
      expect(event.event).toBe('Signed Up');
      expect(Object.keys(event.properties)).toEqual([
        'token',
        'distinct_id',
        'time',
        '$insert_id',
        '$lib',
        '$lib_version',
        'plan',
        'name',
        'tags',
      ]);
      expect(event.properties).toMatchObject({ token: TOKEN, distinct_id: 'user-1', plan: 'pro' });
      expect(Number.isInteger(event.properties.time)).toBe(true);
      expect(event.properties.time).toBeGreaterThanOrEqual(before);
      expect(event.properties.time).toBeLessThanOrEqual(after);
      expect(event.properties.$insert_id).toMatch(UUID4_HEX);
      // Non-ASCII escaped, as the Python SDK writes it.
      expect(track!.body).toContain('"name":"Zo\\u00eb"');
      const importedEvent = imported!.json as { properties: Record<string, unknown> };
      expect(importedEvent.properties.time).toBe(1_700_000_000_123);
      expect(importedEvent.properties.$insert_id).toMatch(UUID4_HEX);
      expect(importedEvent.properties.$insert_id).not.toBe(event.properties.$insert_id);
      expect(engage!.body).toBe(
        `{"token":"${TOKEN}","distinct_id":"user-1","$set":{"name":"Zo\\u00eb","plan":"pro"}}`,
      );
      expect(alias!.body).toBe(`{"alias":"alias-1","distinct_id":"user-1","token":"${TOKEN}"}`);

      // Byte for byte what Node.js sent for the same calls, but for the time and the insert id.
      expect(sent.map(normalizedBody)).toEqual(fromNode.map(normalizedBody));
      expect(server.events().map((stored) => stored.event)).toEqual([
        'Signed Up',
        'Order Imported',
      ]);
      expect(server.aliases()).toHaveLength(1);
      expect(server.profiles()[0]?.properties).toEqual({ name: 'Zoë', plan: 'pro' });
    });

    it('BufferedConsumer: close() delivers the events in one batch, then the process exits by itself', async () => {
      server = await startTestServer();
      const result = await runScenario(runtime, 'buffered-close', server.url, TOKEN);
      expectCleanRun(result);
      const { report, errors } = lineOf(result, 'closed');
      expect(errors).toEqual([]);
      expect(report).toEqual({
        drained: true,
        sent: 6,
        undelivered: 0,
        queued: { events: 0, people: 0, alias: 0 },
        dropped: { overflow: 0, rejected: 0, oversized: 0 },
      });
      // One request per endpoint, the events as one array.
      const sent = posts();
      expect(sent.map((request) => request.path)).toEqual(['/track', '/engage']);
      expect((sent[0]!.json as unknown[]).length).toBe(5);
      const events = server.events({ event: 'Batched' });
      expect(events.map((stored) => stored.properties.n)).toEqual([0, 1, 2, 3, 4]);
      // Nothing referenced is left once close() has resolved: no 10 s flush interval, no
      // request timeout. The process ends at once (tens of ms), well before the kill at 8 s;
      // the bound leaves room for a loaded machine.
      expect(result.exitAfterLastLineMs, describeRun(result)).toBeLessThan(5000);
      console.info(
        `${runtime.name}: process exited ${result.exitAfterLastLineMs} ms after close() resolved (${result.totalMs} ms in all)`,
      );
    });

    it('BufferedConsumer: a client flushed but never closed does not keep the process alive', async () => {
      server = await startTestServer();
      const result = await runScenario(runtime, 'buffered-flush', server.url, TOKEN);
      expectCleanRun(result);
      expect(lineOf(result, 'flushed').result).toBe(true);
      expect(server.events({ event: 'Flushed' })).toHaveLength(3);
      expect(posts()).toHaveLength(1);
      // The 10 s flush interval still runs, unreferenced: it must not hold the process.
      expect(result.exitAfterLastLineMs, describeRun(result)).toBeLessThan(5000);
      console.info(
        `${runtime.name}: idle client's process exited ${result.exitAfterLastLineMs} ms after its flush`,
      );
    });

    it('a 503 is retried after the backoff (through the injected clock and sleep) and the batch arrives exactly once', async () => {
      server = await startTestServer();
      // The buffered batch's first attempt, then the synchronous Consumer's.
      server.faults.next('/track', [{ status: 503 }, {}, { status: 503 }]);
      const result = await runScenario(runtime, 'retry', server.url, TOKEN);
      expectCleanRun(result);

      const buffered = lineOf(result, 'buffered');
      expect(buffered.drain).toEqual({ drained: true, undelivered: 0 });
      expect(buffered.stats).toMatchObject({ sent: 3, retries: 1, nextAttemptAt: 0 });
      // The contract's first backoff, 2 s with no jitter, waited on the fake clock.
      expect(buffered.sleeps).toEqual([2000]);
      const errors = buffered.errors as { code: string; status: number; message: string }[];
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'server_error', status: 503 });
      expect(errors[0]!.message).toMatch(/\/track failed; 3 messages kept, next attempt at/);

      // The batch was sent twice, the same bytes, and stored once.
      const tracks = posts().filter((request) => request.path === '/track');
      expect(tracks.map((request) => request.status)).toEqual([503, 200, 503, 200]);
      expect(tracks[1]!.body).toBe(tracks[0]!.body);
      expect(server.events({ event: 'Retried' }).map((stored) => stored.properties.n)).toEqual([
        0, 1, 2,
      ]);

      // The synchronous Consumer retried inline after the same backoff, and track() resolved.
      expect(lineOf(result, 'consumer').sleeps).toEqual([2000]);
      expect(tracks[3]!.body).toBe(tracks[2]!.body);
      expect(server.events({ event: 'Retried Inline' })).toHaveLength(1);
    });

    it('a 401 and a 400 reach the user as errors that name them, with no unhandled rejection', async () => {
      // The server knows another token: this one is answered 401.
      server = await startTestServer({ tokens: ['another-token'] });
      // The second /track request (the buffered batch) is refused as invalid.
      server.faults.next('/track', [
        {},
        { status: 400, body: { error: 'properties.n must be a number', index: 0 } },
      ]);
      const result = await runScenario(runtime, 'errors', server.url, TOKEN);
      expectCleanRun(result);

      const direct = lineOf(result, 'consumer-401').error as Record<string, unknown>;
      expect(direct).toMatchObject({ code: 'unauthorized', status: 401 });
      expect(direct.message).toMatch(
        /^POST http:\/\/127\.0\.0\.1:\d+\/track failed \(status 401\)/,
      );

      const rejected = lineOf(result, 'flush-400');
      expect(rejected.error).toMatchObject({ code: 'rejected', status: 400 });
      expect((rejected.error as { message: string }).message).toContain(
        'rejected a batch of 1 messages; they were dropped (status 400): {"error":"properties.n must be a number","index":0}',
      );
      expect(rejected.errors).toEqual([rejected.error]);

      const held = lineOf(result, 'flush-401');
      expect(held.result).toBe(false);
      expect(held.errors).toMatchObject([{ code: 'unauthorized', status: 401 }]);
      expect((held.errors as { message: string }[])[0]!.message).toMatch(
        /\/track failed; 1 messages kept, next attempt at .* \(status 401\)/,
      );
      // Error messages never show the token.
      expect(result.stdout.split(TOKEN).length - 1).toBe(0);
    });
  });
}
