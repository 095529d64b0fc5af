import { Controller, Get } from '@nestjs/common';

/** For the load balancer; `ignore` keeps it out of analytics. */
@Controller('health')
export class HealthController {
  @Get()
  check(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
