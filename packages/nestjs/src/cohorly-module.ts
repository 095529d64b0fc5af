import { CohorlyIntegration, reportError } from '@cohorly/server-kit';
import { outsideRequest } from '@cohorly/server-kit/node';
import {
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnApplicationShutdown,
  RequestMethod,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, ModulesContainer } from '@nestjs/core';
import { CohorlyGuard } from './cohorly-guard.js';
import { CohorlyInterceptor } from './cohorly-interceptor.js';
import { CohorlyMiddleware } from './cohorly-middleware.js';
import { CohorlyConfigurableModule } from './cohorly-module-definition.js';
import {
  type CohorlyModuleOptions,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  toIntegrationOptions,
} from './cohorly-module-options.js';
import { CohorlyService } from './cohorly-service.js';
import { nestRequestAccessor } from './nest-request-accessor.js';
import { COHORLY_MODULE_MARK, refuseSecondModule } from './one-module-per-app.js';
import type { NestRequestState } from './request-state.js';
import { COHORLY_INTEGRATION, COHORLY_MODULE_OPTIONS } from './tokens.js';

/**
 * Cohorly for NestJS: `CohorlyModule.forRoot(options)` or `forRootAsync({ imports, inject,
 * useFactory })`, global unless `isGlobal: false`. It provides `CohorlyService`, applies a
 * middleware that gives each request its tracker (its events are flushed soon after they
 * are tracked, coalesced), registers a guard that lets every request through (it hands the
 * platform's request to the tracker before your guards run) and the interceptor behind
 * `@Track`, and delivers what is left in `onApplicationShutdown` (call
 * `app.enableShutdownHooks(['SIGTERM', 'SIGINT'])` so SIGTERM gets there; name the signals:
 * with no argument Nest binds every signal, and Deno refuses some of them at startup).
 * Startup fails with a clear message when no project token is configured, and when the module
 * is imported more than once in the application (each import would track every event again).
 */
export class CohorlyModule
  extends CohorlyConfigurableModule
  implements NestModule, OnApplicationShutdown
{
  /** Created by Nest when the module is imported; the arguments are the module's providers. */
  constructor(
    private readonly integration: CohorlyIntegration<NestRequestState>,
    private readonly options: CohorlyModuleOptions,
  ) {
    super();
  }

  /** Applies the request middleware to every route. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CohorlyMiddleware).forRoutes({ path: '*', method: RequestMethod.ALL });
  }

  /**
   * Delivers everything still queued within `shutdownTimeoutMs` and stops the client (which
   * is also the place Nest runs after the HTTP server has stopped taking requests).
   */
  async onApplicationShutdown(): Promise<void> {
    const timeoutMs = this.options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    try {
      const report = await this.integration.close({ timeoutMs });
      if (!report.drained) {
        reportError(
          this.integration.onError,
          new Error(
            `CohorlyModule: ${report.undelivered} message(s) could not be delivered within ${timeoutMs} ms of shutdown`,
          ),
        );
      }
    } catch (error) {
      // Shutdown must go on: an analytics failure never blocks the app from stopping.
      reportError(this.integration.onError, error);
    }
  }
}
Module({
  providers: [
    {
      provide: COHORLY_INTEGRATION,
      useFactory: (options: CohorlyModuleOptions, modules: ModulesContainer | undefined) => {
        // Before the client exists: a failed startup leaves nothing running. (No container
        // when the app loaded another copy of @nestjs/core than this package: nothing to check.)
        if (modules) refuseSecondModule(modules);
        return new CohorlyIntegration(
          toIntegrationOptions(options),
          nestRequestAccessor,
          'CohorlyModule',
          {
            outsideRequest,
            // Left out of the integration's options, but a misspelling may mean it.
            optionNames: ['shutdownTimeoutMs'],
          },
        );
      },
      inject: [COHORLY_MODULE_OPTIONS, { token: ModulesContainer, optional: true }],
    },
    CohorlyService,
    // Global guards run before controller and route guards: events tracked there are then
    // resolved against the platform's request (on Fastify, not the Node request).
    { provide: APP_GUARD, useClass: CohorlyGuard },
    { provide: APP_INTERCEPTOR, useClass: CohorlyInterceptor },
  ],
  exports: [CohorlyService],
})(CohorlyModule);
Inject(COHORLY_INTEGRATION)(CohorlyModule, undefined, 0);
Inject(COHORLY_MODULE_OPTIONS)(CohorlyModule, undefined, 1);
Object.defineProperty(CohorlyModule, COHORLY_MODULE_MARK, { value: true });
