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
    const hint =
      meant === undefined ? `; the options are ${known.join(', ')}` : ` (did you mean ${meant}?)`;
    reportError(onError, new TypeError(`${name}: ${key} is not an option, and is ignored${hint}`));
  }
}

/** The known option `key` is a misspelling of: the same but for case or separators, or within two edits. */
function closestOption(key: string, known: readonly string[]): string | undefined {
  const plain = (value: string) => value.toLowerCase().replace(/[-_\s]/g, '');
  const exact = known.find((option) => plain(option) === plain(key));
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = 3;
  for (const option of known) {
    const distance = editDistance(plain(key), plain(option));
    if (distance < bestDistance) {
      best = option;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance; option names are short, so the plain dynamic programme will do. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}
