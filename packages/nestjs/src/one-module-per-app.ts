import type { ModulesContainer } from '@nestjs/core';

/**
 * Marks the `CohorlyModule` class. A symbol from the global registry, so that a copy of the
 * package loaded twice (its ESM and its CommonJS build) is recognised too.
 */
export const COHORLY_MODULE_MARK: unique symbol = Symbol.for('cohorly.nestjs.module');

function isCohorlyModule(metatype: unknown): boolean {
  return (
    typeof metatype === 'function' &&
    (metatype as { [COHORLY_MODULE_MARK]?: unknown })[COHORLY_MODULE_MARK] === true
  );
}

/**
 * Fails when `modules`, the modules of one Nest application, hold `CohorlyModule` more than
 * once. Each `forRoot()` or `forRootAsync()` call is a module of its own, with its own client,
 * middleware, guard and interceptor, and Nest applies guards and interceptors to every route
 * whichever module provides them: every `@Track` event would be sent once per module, all to
 * the first module's project. Called before the module creates its client, once Nest has
 * scanned every module. The container is the application's own, so two applications in one
 * process (each with its `CohorlyModule`) are fine.
 */
export function refuseSecondModule(modules: ModulesContainer): void {
  let count = 0;
  for (const module of modules.values()) {
    if (isCohorlyModule(module.metatype)) count += 1;
  }
  if (count < 2) return;
  throw new Error(
    `CohorlyModule: imported ${count} times in this application (each forRoot() or forRootAsync() call adds its own client, middleware, guard and interceptor, so every @Track event would be sent ${count} times). Import CohorlyModule.forRoot() once, in your root module; with isGlobal: false, import it in one shared module that exports it, and import that module where you inject CohorlyService.`,
  );
}
