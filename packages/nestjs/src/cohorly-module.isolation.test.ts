// 1000 concurrent requests by 1000 users, on Express and Fastify: no event is ever attributed
// to another request's user, whether it comes from CohorlyService after awaits of every kind,
// from @Track, or from a continuation that runs after the response has closed.
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '@cohorly/testing';
import { Controller, Get, Headers, Module, Param, Res } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORMS, type RunningApp, startApp } from '../test/nest-harness.js';
import { CohorlyModule, CohorlyService, Track } from './index.js';

const USERS = 1000;
const WAVE = 250;
const STEPS = ['after awaits', 'after the response', 'handler succeeded', 'start'];
const thisFile = fileURLToPath(import.meta.url);

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A short random wait: a chain of setImmediate, of microtasks, or real file-system I/O. */
async function pause(next: () => number): Promise<void> {
  const hops = 1 + Math.floor(next() * 3);
  const kind = Math.floor(next() * 3);
  for (let hop = 0; hop < hops; hop += 1) {
    if (kind === 0) await new Promise((resolve) => setImmediate(resolve));
    else if (kind === 1) await new Promise<void>((resolve) => queueMicrotask(resolve));
    else await stat(thisFile);
  }
}

@Controller()
class WorkController {
  constructor(private readonly cohorly: CohorlyService) {}

  @Get('work/:n')
  @Track('Step', {
    properties: (_req, result: { owner: string }) => ({
      owner: result.owner,
      step: 'handler succeeded',
    }),
  })
  async work(
    @Param('n') n: string,
    @Headers('x-user') owner: string,
    // Express's response is the Node response; Fastify's reply holds it as `raw`.
    @Res({ passthrough: true }) res: ServerResponse | { raw: ServerResponse },
  ): Promise<{ owner: string }> {
    const next = random(Number(n));
    void this.cohorly.track('Step', { owner, step: 'start' });
    await pause(next);
    void this.cohorly.track('Step', { owner, step: 'after awaits' });
    await pause(next);
    const response = 'raw' in res ? res.raw : res;
    // Started by the handler, finishing after the response has closed.
    void (async () => {
      if (!response.closed) await once(response, 'close');
      await pause(next);
      void this.cohorly.track('Step', { owner, step: 'after the response' });
    })();
    return { owner };
  }
}

describe.each(PLATFORMS)('1000 concurrent users on %s', (platform) => {
  let server: TestServer;
  let app: RunningApp;
  const errors: unknown[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    @Module({
      imports: [
        CohorlyModule.forRoot({
          token: 'T',
          apiHost: server.url,
          identify: (req) => req.headers['x-user'] as string | undefined,
          // Room for every event: this test is about attribution, not the queue cap.
          batching: { maxSize: 500, maxQueueSize: 10_000, flushIntervalMs: 0 },
          onError: (error) => errors.push(error),
        }),
      ],
      controllers: [WorkController],
    })
    class WorkModule {}
    app = await startApp(WorkModule, platform);
  });
  afterAll(async () => {
    await app?.close();
    await server?.close();
  });

  it('attributes every event to its own request’s user, across awaits and after the response', async () => {
    const users = Array.from({ length: USERS }, (_, n) => `user-${n}`);

    // In waves of 250 concurrent requests, so a loaded machine keeps up.
    for (let start = 0; start < USERS; start += WAVE) {
      const wave = users.slice(start, start + WAVE);
      const answers = await Promise.all(
        wave.map(async (user) => {
          const response = await fetch(`${app.url}/work/${user.slice(5)}`, {
            headers: { 'x-user': user },
          });
          return (await response.json()) as { owner: string };
        }),
      );
      expect(answers.map((answer) => answer.owner)).toEqual(wave);
    }

    const events = await server.waitForEvents(USERS * STEPS.length, { timeoutMs: 30_000 });
    const misattributed = events.filter((event) => event.properties.owner !== event.distinctId);
    expect(misattributed).toEqual([]);
    const steps = new Map<string, string[]>();
    for (const event of events) {
      const list = steps.get(event.distinctId) ?? [];
      list.push(String(event.properties.step));
      steps.set(event.distinctId, list);
    }
    expect(steps.size).toBe(USERS);
    for (const list of steps.values()) expect(list.sort()).toEqual(STEPS);
    // Nothing was dropped or failed (an overflow would have been reported here).
    expect(errors).toEqual([]);
  });
});
