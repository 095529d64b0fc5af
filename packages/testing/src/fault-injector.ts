import { validateHeaderName, validateHeaderValue } from 'node:http';
import { describeValue } from './describe-value.js';
import { isPlainObject } from './plain-object.js';
import { isTimerMs, MAX_TIMER_MS } from '@cohorly/core';

/** An endpoint path faults apply to, or `'*'` for all three. */
export type FaultTarget = '/track' | '/engage' | '/alias' | '*';

/**
 * One scripted reply. With none of `status`, `drop` or `delayMs` it changes nothing but the
 * headers; combine them to script any misbehaviour. Each option is checked when the step is
 * scripted: an option of the wrong type, or one a step does not have, throws a `TypeError`.
 */
export interface FaultStep {
  /**
   * Answer with this status instead of the server's own. A non-2xx status means the request
   * is not stored (unless `store` says otherwise).
   * @default the server's own status
   */
  status?: number;
  /**
   * Headers added to the answer, such as `{ 'Retry-After': '3' }`. Names must be HTTP tokens
   * (`'Retry-After'`, not `'Retry After'`) and values strings that are valid header values,
   * as `node:http` checks them.
   * @default {}
   */
  headers?: Readonly<Record<string, string>>;
  /**
   * Body of the answer: a string is sent as is, anything else as JSON (so it must be a value
   * `JSON.stringify` can encode: no `BigInt`, no cycles, not a function).
   * @default the server's own body; with a scripted `status`, `{"status":1}` for a 2xx and
   * `{"error":"injected fault"}` for any other
   */
  body?: unknown;
  /**
   * Wait this many milliseconds of real time before answering (or dropping): a hanging
   * response, for client timeouts. Pending delays end when the server closes. It is a
   * `setTimeout`, so at most 2147483647 (about 24.8 days, the longest a Node.js timer waits;
   * a longer one would fire after 1 ms); for an answer that never comes, use that.
   * @default 0
   */
  delayMs?: number;
  /**
   * Destroy the connection without any answer: the client sees a connection reset.
   * @default false
   */
  drop?: boolean;
  /**
   * Whether the server validates and stores the request before the scripted reply. Set it
   * on a `drop` or a 5xx to script "stored, but the answer was lost", where only
   * deduplication saves a retrying client from double counting.
   * @default true, except with `drop` or a scripted non-2xx `status`
   */
  store?: boolean;
}

/** Options of {@link Faults.failFor}. */
export interface FailForOptions {
  /**
   * The status every request answers with during the window.
   * @default 503
   */
  status?: number;
  /**
   * Headers added to those answers.
   * @default {}
   */
  headers?: Readonly<Record<string, string>>;
  /**
   * Body of those answers (a string as is, anything else as JSON).
   * @default {"error":"injected fault"}
   */
  body?: unknown;
}

/** Limits the rate of requests; the ones over it are answered 429 with `Retry-After`. */
export interface RateLimitOptions {
  /** How many requests each window accepts. */
  requests: number;
  /**
   * Length of a window in milliseconds of the server's clock. A window starts at the first
   * request after the previous one ended.
   * @default 1000
   */
  windowMs?: number;
}

/** The fault injection controls of a test server (`server.faults`). */
export interface Faults {
  /**
   * Scripts the replies of the next requests to `target`, one step per request, in order.
   * Steps for a path are used before steps for `'*'`. Calls append to the script. A request
   * takes its step when it arrives, before its body is read: one already on its way when you
   * call this is not among the next, and one whose client goes away while sending its body
   * still uses up its step (`requests()` shows it, with `status: null`).
   * @throws TypeError, scripting none of the steps, when one of them is malformed (see
   * {@link FaultStep}).
   */
  next(target: FaultTarget, steps: FaultStep | readonly FaultStep[]): void;
  /**
   * Fails every request to `target` for `ms` milliseconds of the server's clock from now,
   * with `options.status` (503 by default). Scripted steps still come first. The window is
   * read from the clock, not waited for by a timer, so any finite `ms` works.
   * @throws TypeError when `ms` is not a finite number >= 0 or `options` is malformed.
   */
  failFor(target: FaultTarget, ms: number, options?: FailForOptions): void;
  /** How many scripted steps are still unused, for `target` or (without it) in all. */
  pending(target?: FaultTarget): number;
  /** Removes every script and failure window, and restarts the rate-limit window. */
  clear(): void;
}

/** Which fault, if any, decided how a request was answered. */
export type FaultSource = 'scripted' | 'window' | 'rate-limit';

/** The fault that applies to one request. */
export interface AppliedFault {
  /** Where it came from. */
  source: FaultSource;
  /** What to do. */
  step: FaultStep;
}

const TARGETS: readonly FaultTarget[] = ['/track', '/engage', '/alias', '*'];

// Records rather than lists, so that the compiler says when an option is added but not here.
const STEP_OPTIONS = Object.keys({
  status: true,
  headers: true,
  body: true,
  delayMs: true,
  drop: true,
  store: true,
} satisfies Record<keyof FaultStep, true>);
const FAIL_FOR_OPTIONS = Object.keys({
  status: true,
  headers: true,
  body: true,
} satisfies Record<keyof FailForOptions, true>);
const RATE_LIMIT_OPTIONS = Object.keys({
  requests: true,
  windowMs: true,
} satisfies Record<keyof RateLimitOptions, true>);

/** Keeps the fault scripts, failure windows and rate limit of one server. */
export class FaultInjector implements Faults {
  readonly #scripts = new Map<FaultTarget, FaultStep[]>();
  #windows: { target: FaultTarget; until: number; step: FaultStep }[] = [];
  readonly #clock: () => number;
  readonly #rateLimit: Required<RateLimitOptions> | undefined;
  #rateWindow = { start: Number.NEGATIVE_INFINITY, count: 0 };

  constructor(clock: () => number, rateLimit: RateLimitOptions | undefined) {
    this.#clock = clock;
    if (rateLimit !== undefined) {
      checkOptions(rateLimit, 'rateLimit', RATE_LIMIT_OPTIONS);
      const { requests, windowMs = 1000 } = rateLimit;
      checkCount(requests, 'rateLimit.requests');
      checkMs(windowMs, 'rateLimit.windowMs');
      // A window of 0 ms ends before the next request: the limiter would never answer 429.
      if (windowMs === 0) {
        throw new TypeError('faults: rateLimit.windowMs must be more than 0, got 0');
      }
      this.#rateLimit = { requests, windowMs };
    }
  }

  next(target: FaultTarget, steps: FaultStep | readonly FaultStep[]): void {
    checkTarget(target);
    const list = Array.isArray(steps) ? steps : [steps as FaultStep];
    for (const [index, step] of list.entries()) checkStep(step, `steps[${index}]`);
    const script = this.#scripts.get(target) ?? [];
    script.push(...list.map(copyStep));
    this.#scripts.set(target, script);
  }

  failFor(target: FaultTarget, ms: number, options: FailForOptions = {}): void {
    checkTarget(target);
    checkMs(ms, 'ms');
    checkOptions(options, 'options', FAIL_FOR_OPTIONS);
    const step: FaultStep = { status: options.status ?? 503, store: false };
    if (options.headers !== undefined) step.headers = options.headers;
    if (options.body !== undefined) step.body = options.body;
    checkStep(step, 'options');
    this.#windows.push({ target, until: this.#clock() + ms, step: copyStep(step) });
  }

  pending(target?: FaultTarget): number {
    if (target !== undefined) return this.#scripts.get(target)?.length ?? 0;
    let total = 0;
    for (const script of this.#scripts.values()) total += script.length;
    return total;
  }

  clear(): void {
    this.#scripts.clear();
    this.#windows = [];
    this.#rateWindow = { start: Number.NEGATIVE_INFINITY, count: 0 };
  }

  /** The fault for a request to `path` arriving now, if any; uses up a scripted step. */
  take(path: Exclude<FaultTarget, '*'>): AppliedFault | undefined {
    for (const target of [path, '*'] as const) {
      const step = this.#scripts.get(target)?.shift();
      if (step !== undefined) return { source: 'scripted', step };
    }
    const now = this.#clock();
    this.#windows = this.#windows.filter((window) => now < window.until);
    const window = this.#windows.find((item) => item.target === path || item.target === '*');
    if (window !== undefined) return { source: 'window', step: window.step };
    return this.#limitRate(now);
  }

  #limitRate(now: number): AppliedFault | undefined {
    const limit = this.#rateLimit;
    if (limit === undefined) return undefined;
    if (now >= this.#rateWindow.start + limit.windowMs) this.#rateWindow = { start: now, count: 0 };
    this.#rateWindow.count += 1;
    if (this.#rateWindow.count <= limit.requests) return undefined;
    const waitMs = this.#rateWindow.start + limit.windowMs - now;
    // Retry-After is whole seconds; rounding up means a client that honours it is let in.
    const retryAfter = String(Math.max(1, Math.ceil(waitMs / 1000)));
    return {
      source: 'rate-limit',
      step: {
        status: 429,
        headers: { 'Retry-After': retryAfter },
        body: { error: 'rate limited' },
        store: false,
      },
    };
  }
}

/** Whether a step has the server process the request before its reply. */
export function stepStores(step: FaultStep): boolean {
  if (step.store !== undefined) return step.store;
  if (step.drop === true) return false;
  return step.status === undefined || (step.status >= 200 && step.status < 300);
}

function checkTarget(target: unknown): void {
  if (!TARGETS.includes(target as FaultTarget)) {
    throw new TypeError(
      `faults: unknown target ${JSON.stringify(target)} (valid: ${TARGETS.join(', ')})`,
    );
  }
}

/**
 * A copy to keep, headers included: changing the caller's objects afterwards must not undo
 * the checks (an invalid header would make the server answer 500 instead of the fault).
 */
function copyStep(step: FaultStep): FaultStep {
  return step.headers === undefined ? { ...step } : { ...step, headers: { ...step.headers } };
}

// Each option is checked here, when scripted: a bad one used to surface only when a request
// met it (a 500 "test server failure" for a bad header) or never (a typo such as `stauts`, or
// `drop: 'yes'`, scripted a plain 200).
function checkStep(step: unknown, name: string): void {
  checkOptions(step, name, STEP_OPTIONS);
  const { status, headers, body, delayMs, drop, store } = step as FaultStep;
  if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) {
    throw new TypeError(
      `faults: ${name}.status must be an HTTP status 200-599, got ${describeValue(status)}`,
    );
  }
  if (headers !== undefined) checkHeaders(headers, `${name}.headers`);
  if (body !== undefined) checkBody(body, `${name}.body`);
  if (delayMs !== undefined) checkTimerMs(delayMs, `${name}.delayMs`);
  if (drop !== undefined) checkBoolean(drop, `${name}.drop`);
  if (store !== undefined) checkBoolean(store, `${name}.store`);
}

/** An object with only the `known` options; one left `undefined` takes its default. */
function checkOptions(value: unknown, name: string, known: readonly string[]): void {
  if (!isPlainObject(value)) {
    throw new TypeError(`faults: ${name} must be an object, got ${describeValue(value)}`);
  }
  const extra = Object.keys(value).find((key) => !known.includes(key));
  if (extra !== undefined) {
    throw new TypeError(
      `faults: ${name} has an unknown option ${JSON.stringify(extra)} (valid: ${known.join(', ')})`,
    );
  }
}

/** The checks `response.setHeader()` makes, done when scripted instead of when answering. */
function checkHeaders(headers: unknown, name: string): void {
  if (!isPlainObject(headers)) {
    throw new TypeError(`faults: ${name} must be an object, got ${describeValue(headers)}`);
  }
  for (const [header, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      throw new TypeError(
        `faults: ${name}[${JSON.stringify(header)}] must be a string, got ${describeValue(value)}`,
      );
    }
    try {
      validateHeaderName(header);
      validateHeaderValue(header, value);
    } catch (error) {
      // Node's message names the header and the problem; the prefix names the option.
      throw new TypeError(`faults: ${name}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** A body `send()` can encode: a string, or a value `JSON.stringify` turns into one. */
function checkBody(body: unknown, name: string): void {
  if (typeof body === 'string') return;
  let json: string | undefined;
  try {
    json = JSON.stringify(body);
  } catch (error) {
    throw new TypeError(
      `faults: ${name} must be a string or a value JSON can encode: ${(error as Error).message}`,
      { cause: error },
    );
  }
  // A function or a symbol encodes to nothing at all.
  if (json === undefined) {
    throw new TypeError(
      `faults: ${name} must be a string or a value JSON can encode, got ${describeValue(body)}`,
    );
  }
}

function checkBoolean(value: unknown, name: string): void {
  if (typeof value !== 'boolean') {
    throw new TypeError(`faults: ${name} must be a boolean, got ${describeValue(value)}`);
  }
}

/** Milliseconds measured on the server's clock: no timer waits them, so no upper bound. */
function checkMs(value: unknown, name: string): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new TypeError(
      `faults: ${name} must be a finite number of milliseconds >= 0, got ${describeValue(value)}`,
    );
  }
}

/** Milliseconds a `setTimeout` waits: at most {@link MAX_TIMER_MS}. */
function checkTimerMs(value: unknown, name: string): void {
  if (!isTimerMs(value)) {
    throw new TypeError(
      `faults: ${name} must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${describeValue(value)}`,
    );
  }
}

function checkCount(value: unknown, name: string): void {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 1)) {
    throw new TypeError(`faults: ${name} must be an integer >= 1, got ${describeValue(value)}`);
  }
}
