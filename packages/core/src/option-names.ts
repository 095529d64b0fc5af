import { show } from './message-rules.js';

/**
 * The option of `known` that `key` is another SDK's name for (`host`, `flushAt`) or a
 * misspelling of: the same but for case and separators (`apihost`, `api_host`), or within two
 * edits (`maxSise`); `undefined` when none is that close. For error messages about an unknown
 * option: `… (did you mean apiHost?)`.
 */
export function closestOption(key: string, known: readonly string[]): string | undefined {
  // Own keys only: `constructor` or `toString` is no peer's name.
  const peer = Object.hasOwn(PEER_NAMES, key) ? PEER_NAMES[key] : undefined;
  if (peer !== undefined && known.includes(peer)) return peer;
  const plainKey = plain(key);
  const exact = known.find((option) => plain(option) === plainKey);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = 3;
  for (const option of known) {
    const distance = editDistance(plainKey, plain(option));
    if (distance < bestDistance) {
      best = option;
      bestDistance = distance;
    }
  }
  return best;
}

/** Options of another class a caller may have meant, and how to say where they go. */
export interface OptionsElsewhere {
  /** Its options; those the caller also takes are left out. */
  options: Readonly<Record<string, true>>;
  /** The hint for one of them: `BufferedConsumer's maxSize? pass …`, after "did you mean". */
  hint: (name: string) => string;
}

/**
 * Names other analytics SDKs (posthog-node, @segment/analytics-node, mixpanel) give an option
 * of ours. From a config file shared with one of them, they would be ignored without a word:
 * every event sent to the default host, batches of the default size. Segment's `userId` is a
 * request tracker's per-call `distinctId` (`distinct_id` needs no entry: it differs only by
 * case and separator).
 */
const PEER_NAMES: Readonly<Record<string, string>> = {
  host: 'apiHost',
  flushAt: 'maxSize',
  flushInterval: 'flushIntervalMs',
  userId: 'distinctId',
  user_id: 'distinctId',
};

/** Peers' switches for turning tracking off (in tests, say): Cohorly has none. */
const OFF_SWITCHES = ['disabled', 'disable', 'enabled', 'enable'];

/**
 * True for another SDK's switch that turns tracking off (`disabled`, `enable`): Cohorly has
 * none, and an error naming one should say what to do instead (record, in tests).
 */
export function isOffSwitch(key: string): boolean {
  return OFF_SWITCHES.includes(key);
}

const NO_OFF_SWITCH =
  'there is no off switch: in tests, pass createRecorder() from @cohorly/testing as the consumer';

/**
 * Throws a `TypeError` at construction when `options` is not an object, or has a key that is
 * none of `known`: naming each such key, the option it most likely meant, and every option.
 * An unknown key would be ignored without a word (`host` would send every event to
 * http://localhost:4000), and TypeScript catches it only in an object literal, not in options
 * read from a config file or spread from another object. As the Python SDK's constructors
 * raise `TypeError` on an unknown keyword argument. Only own enumerable string keys are
 * looked at, whatever their value.
 */
export function checkOptionNames(
  options: unknown,
  known: Readonly<Record<string, true>>,
  caller: string,
  elsewhere?: OptionsElsewhere,
): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${caller}: options must be an object, got ${show(options)}`);
  }
  const unknown = Object.keys(options).filter((key) => !Object.hasOwn(known, key));
  if (unknown.length === 0) return;
  const names = Object.keys(known);
  const others =
    elsewhere && Object.keys(elsewhere.options).filter((name) => !Object.hasOwn(known, name));
  const problems = unknown.map((key) => {
    const hint = hintFor(key, names, others, elsewhere?.hint);
    return `${key} is not an option${hint === undefined ? '' : ` (${hint})`}`;
  });
  throw new TypeError(`${caller}: ${problems.join('; ')}; the options are ${names.join(', ')}`);
}

/** What `key` was probably meant to be, as the parenthesis after "is not an option". */
function hintFor(
  key: string,
  names: readonly string[],
  others: readonly string[] | undefined,
  hintElsewhere: ((name: string) => string) | undefined,
): string | undefined {
  if (isOffSwitch(key)) return NO_OFF_SWITCH;
  const meant = closestOption(key, names);
  if (meant !== undefined) return `did you mean ${meant}?`;
  if (others === undefined || hintElsewhere === undefined) return undefined;
  const other = closestOption(key, others);
  return other === undefined ? undefined : `did you mean ${hintElsewhere(other)}`;
}

/** An option name without case and separators: `api_host` and `API-Host` are `apihost`. */
function plain(value: string): string {
  return value.toLowerCase().replace(/[-_\s]/g, '');
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
