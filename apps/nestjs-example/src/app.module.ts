import { CohorlyModule } from '@cohorly/nestjs';
import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { AccountController } from './account/account.controller.js';
import { cohorlyOptions } from './cohorly-options.js';
import { HealthController } from './health/health.controller.js';
import { ProjectsController } from './projects/projects.controller.js';
import { ProjectsService } from './projects/projects.service.js';
import { ServerStartedReporter } from './startup/server-started.reporter.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    // Global by default: CohorlyService can be injected in every module.
    CohorlyModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: cohorlyOptions,
    }),
  ],
  controllers: [AccountController, ProjectsController, HealthController],
  providers: [ProjectsService, ServerStartedReporter],
})
export class AppModule {}
