/**
 * Injection token of the module's `CohorlyIntegration` (server-kit's client, flush policy and
 * per-request trackers). A string, so that Nest's "can't resolve dependencies" messages name it.
 */
export const COHORLY_INTEGRATION = 'CohorlyIntegration';

/** Injection token of the options given to `CohorlyModule.forRoot()` or `forRootAsync()`. */
export const COHORLY_MODULE_OPTIONS = 'CohorlyModuleOptions';
