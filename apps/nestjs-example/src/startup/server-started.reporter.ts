import { CohorlyService } from '@cohorly/nestjs';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { AppEvents } from '../projects/projects.service.js';

/** Work outside any request: there is no request user, so the distinct id is explicit. */
@Injectable()
export class ServerStartedReporter implements OnApplicationBootstrap {
  constructor(private readonly cohorly: CohorlyService<AppEvents>) {}

  onApplicationBootstrap(): void {
    void this.cohorly.track('Server Started', { node: process.version }, { distinctId: 'system' });
  }
}
