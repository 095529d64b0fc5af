import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { CohorlyModuleOptions } from './cohorly-module-options.js';
import { COHORLY_MODULE_OPTIONS } from './tokens.js';

/** Options of `CohorlyModule` that shape the module itself rather than Cohorly. */
export interface CohorlyModuleExtras {
  /**
   * Register the module globally, so `CohorlyService` can be injected in every module
   * without importing `CohorlyModule` there.
   * @default true
   */
  isGlobal?: boolean;
}

/**
 * `forRoot()` and `forRootAsync()` come from Nest's `ConfigurableModuleBuilder`, so the module
 * configures like any other: `useFactory`/`inject`/`imports`, `useClass` or `useExisting`
 * (an options factory with a `createCohorlyOptions()` method).
 */
export const {
  ConfigurableModuleClass: CohorlyConfigurableModule,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CohorlyModuleOptions>({
  moduleName: 'Cohorly',
  optionsInjectionToken: COHORLY_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createCohorlyOptions')
  .setExtras<CohorlyModuleExtras>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal !== false,
  }))
  .build();

/** What `CohorlyModule.forRoot()` takes: the options, plus `isGlobal`. */
export type CohorlyModuleForRootOptions = typeof OPTIONS_TYPE;

/** What `CohorlyModule.forRootAsync()` takes: `imports`, `inject`, `useFactory` and the like. */
export type CohorlyModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
