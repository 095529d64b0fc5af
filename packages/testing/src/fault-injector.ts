/** An endpoint path faults apply to, or `'*'` for all three. */
export type FaultTarget = '/track' | '/engage' | '/alias' | '*';

/**
 * One scripted reply. With none of `status`, `drop` or `delayMs` it changes nothing but the
 * headers; combine them to script any misbehaviour.
 */
export interface FaultStep {
  /**
   * Answer with this status instead of the server's own. A non-2xx status means the request
   * is not stored (unless `store` says otherwise).
   * @default the server's own status
   */
  status?: number;
  /**
   * Headers added to the answer, such as `{ 'Retry-After': '3' }`.
   * @default {}
   */
  headers?: Readonly<Record<string, string>>;
  /**
   * Body of the answer: a string is sent as is, anything else as JSON.
   * @default the server's own body; with a scripted `status`, `{"status":1}` for a 2xx and
   * `{"error":"injected fault"}` for any other
   */
  body?: unknown;
  /**
   * Wait this many milliseconds of real time before answering (or dropping): a hanging
   * response, for client timeouts. Pending delays end when the server closes.
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
   * Steps for a path are used before steps for `'*'`. Calls append to the script.
   */
  next(target: FaultTarget, steps: FaultStep | readonly FaultStep[]): void;
  /**
   * Fails every request to `target` for `ms` milliseconds of the server's clock from now,
   * with `options.status` (503 by default). Scripted steps still come first.
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
      const { requests, windowMs = 1000 } = rateLimit;
      checkCount(requests, 'rateLimit.requests');
      checkMs(windowMs, 'rateLimit.windowMs');
      this.#rateLimit = { requests, windowMs };
    }
  }

  next(target: FaultTarget, steps: FaultStep | readonly FaultStep[]): void {
    checkTarget(target);
    const list = Array.isArray(steps) ? steps : [steps as FaultStep];
    for (const [index, step] of list.entries()) checkStep(step, `steps[${index}]`);
    const script = this.#scripts.get(target) ?? [];
    script.push(...list.map((step) => ({ ...step })));
    this.#scripts.set(target, script);
  }

  failFor(target: FaultTarget, ms: number, options: FailForOptions = {}): void {
    checkTarget(target);
    checkMs(ms, 'ms');
    const step: FaultStep = { status: options.status ?? 503, store: false };
    if (options.headers !== undefined) step.headers = options.headers;
    if (options.body !== undefined) step.body = options.body;
    checkStep(step, 'options');
    this.#windows.push({ target, until: this.#clock() + ms, step });
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

function checkStep(step: FaultStep, name: string): void {
  if (typeof step !== 'object' || step === null) {
    throw new TypeError(`faults: ${name} must be an object`);
  }
  const { status, delayMs } = step;
  if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) {
    throw new TypeError(`faults: ${name}.status must be an HTTP status 200-599, got ${status}`);
  }
  if (delayMs !== undefined) checkMs(delayMs, `${name}.delayMs`);
}

function checkMs(value: number, name: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new TypeError(`faults: ${name} must be a finite number of milliseconds >= 0`);
  }
}

function checkCount(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`faults: ${name} must be an integer >= 1, got ${value}`);
  }
}
