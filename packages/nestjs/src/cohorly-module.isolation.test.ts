// 1000 concurrent requests by 1000 users, on Express and Fastify: no event is ever attributed
// to another request's user, whether it comes from CohorlyService after awaits of every kind,
// from @Track, or from a continuation that runs after the response has closed.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { expectAttributedToOwnUser, randomPause, seededRandom } from '@cohorly/test-support';
import { startTestServer, type TestServer } from '@cohorly/testing';
import { Controller, Get, Headers, Module, Param, Res } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORMS, type RunningApp, startApp } from '../test/nest-harness.js';
import { CohorlyModule, CohorlyService, Track } from './index.js';

const STEPS = ['after awaits', 'after the response', 'handler succeeded', 'start'];

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
    const next = seededRandom(Number(n));
    void this.cohorly.track('Step', { owner, step: 'start' });
    await randomPause(next);
    void this.cohorly.track('Step', { owner, step: 'after awaits' });
    await randomPause(next);
    const response = 'raw' in res ? res.raw : res;
    // Started by the handler, finishing after the response has closed.
    void (async () => {
      if (!response.closed) await once(response, 'close');
      await randomPause(next);
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
    await expectAttributedToOwnUser({ url: app.url, server, steps: STEPS });
    // Nothing was dropped or failed (an overflow would have been reported here).
    expect(errors).toEqual([]);
  });
});
