import { closestOption, isOffSwitch } from '@cohorly/core';
import { type ErrorHandler, reportError } from './report-error.js';

/**
 * Reports to `onError`, once per key, each key of `options` that is none of `known`, with the
 * option it most likely meant: `apihost` would be ignored without a word, and every event would
 * go to the default host. TypeScript catches this in an object literal, but not in options
 * read from a config file, returned by a factory in plain JavaScript or spread from another
 * object. A report, not a throw: an extra key loses nothing by itself, and the app starts.
 */
export function reportUnknownOptions(
  options: object,
  known: readonly string[],
  name: string,
  onError: ErrorHandler,
): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const meant = closestOption(key, known);
    const hint = isOffSwitch(key)
      ? ` (there is no off switch: in tests, pass { client: new Cohorly('test', { consumer: createRecorder() }) } with createRecorder() from @cohorly/testing)`
      : meant === undefined
        ? `; the options are ${known.join(', ')}`
        : ` (did you mean ${meant}?)`;
    reportError(onError, new TypeError(`${name}: ${key} is not an option, and is ignored${hint}`));
  }
}
