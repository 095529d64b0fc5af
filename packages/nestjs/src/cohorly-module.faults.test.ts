// CohorlyModule end to end, on Express and Fastify, through every fault the Cohorly server can
// answer with, and through an outage that outlasts the queue cap: responses never change,
// every event tracked within the cap arrives exactly once (by $insert_id), and every drop is
// counted and reported. The client is handed in with an injected clock, so backoff windows
// pass without sleeping. The suite itself is shared with @cohorly/express
// (describeContractFaults); the module and its controller are ours.
import { Cohorly } from '@cohorly/core';
import { describeContractFaults } from '@cohorly/test-support';
import { Controller, Get, Module, Param } from '@nestjs/common';
import { describe } from 'vitest';
import { PLATFORMS, startApp } from '../test/nest-harness.js';
import { CohorlyModule, CohorlyService, Track } from './index.js';

@Controller()
class VisitController {
  @Get('visit/:user')
  @Track('Visited', { properties: (_req, result: { user: string }) => ({ owner: result.user }) })
  visit(@Param('user') user: string): { user: string } {
    return { user };
  }
}

describe.each(PLATFORMS)('CohorlyModule on %s', (platform) => {
  describeContractFaults(async (consumer, defer) => {
    @Module({
      imports: [
        CohorlyModule.forRoot({
          client: new Cohorly('T', { consumer }),
          identify: (req) => req.headers['x-user'] as string | undefined,
          // Flush rejections of a client we gave are reported here too; the client's own
          // onError is the one that counts.
          onError: () => undefined,
          shutdownTimeoutMs: 0,
        }),
      ],
      controllers: [VisitController],
    })
    class VisitModule {}
    const app = await startApp(VisitModule, platform);
    defer(() => app.close());
    const service = app.app.get(CohorlyService);
    return { url: app.url, flush: () => service.flush() };
  });
});
