declare const __COHORLY_VERSION__: string;

/** The version of `@cohorly/core`, sent as `$lib_version` in every event. */
export const LIB_VERSION: string =
  typeof __COHORLY_VERSION__ === 'string' ? __COHORLY_VERSION__ : '0.0.0-dev';

/** The library name sent as `$lib` in every event. */
export const LIB_NAME = 'node';
