import { type ErrorHandler, reportError } from './report-error.js';

/** Options of {@link FlushCoalescer}. */
export interface FlushCoalescerOptions {
  /**
   * How long to wait for more requests to finish before flushing, in milliseconds.
   * @default 50
   */
  debounceMs?: number;
  /**
   * The longest a requested flush may be postponed by new requests, in milliseconds.
   * @default 500
   */
  maxWaitMs?: number;
  /**
   * Receives a flush's rejection. When omitted, rejections are dropped: the consumer's own
   * `onError` has already reported them.
   */
  onError?: ErrorHandler;
  /**
   * Runs the arming of each flush timer, and the start of each flush loop (`now()`). On Node,
   * `outsideRequest` from `@cohorly/server-kit/node`: the flushes then belong to no request,
   * instead of to the one whose event armed the timer or whose close (or `flush()` call)
   * started the loop, and, under steady traffic, every flush after it, which would keep that
   * request in memory as long as traffic lasts.
   * @default runs it as it is
   */
  detach?: <T>(fn: () => T) => T;
}

/**
 * Coalesces the flushes that many finishing requests ask for, so a busy server sends one
 * Cohorly request per batch, not one per HTTP request: a flush waits `debounceMs` for more
 * requests, never more than `maxWaitMs` in all, and at most one flush is in flight. Requests
 * that arrive during a flush are flushed when it ends, on the same debounce and cap (so that
 * under steady traffic each flush still carries up to `maxWaitMs` of events, not just the few
 * that arrived while the last one was on the wire); a `now()` meanwhile runs right after it.
 * It arms one timer per flush, not one per request, and its timers never keep the process
 * alive.
 */
export class FlushCoalescer {
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private firstRequestAt = 0;
  private lastRequestAt = 0;
  private running: Promise<void> | undefined;
  private rerun = false;
  /** When the first `request()` since the running flush started came, if any did. */
  private requestedDuringFlush: number | undefined;
  /** Callers of `now()` waiting for the next flush to start and finish. */
  private waiting: (() => void)[] = [];

  constructor(
    private readonly flush: () => Promise<unknown>,
    private readonly options: FlushCoalescerOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 50;
    this.maxWaitMs = options.maxWaitMs ?? 500;
  }

  /** Asks for a flush soon, sharing it with whatever else asks within the debounce. */
  request(): void {
    const now = Date.now();
    this.lastRequestAt = now;
    if (this.running) {
      this.requestedDuringFlush ??= now;
      return;
    }
    // One timer per flush, not one per request: a busy server asks hundreds of times per
    // debounce, and the armed timer re-reads `lastRequestAt` when it fires.
    if (this.timer === undefined) this.arm(now);
  }

  /** Arms the timer of a flush first asked for at `firstAt`. */
  private arm(firstAt: number): void {
    this.firstRequestAt = firstAt;
    this.armUntil(this.dueAt());
  }

  /** `debounceMs` after the last request, but no later than `maxWaitMs` after the first. */
  private dueAt(): number {
    return Math.min(this.lastRequestAt + this.debounceMs, this.firstRequestAt + this.maxWaitMs);
  }

  private armUntil(due: number): void {
    const arm = () => setTimeout(this.onTimer, Math.max(0, due - Date.now()));
    this.timer = this.options.detach ? this.options.detach(arm) : arm();
    (this.timer as { unref?: () => void }).unref?.();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    const due = this.dueAt();
    // Requests came since the timer was armed: the debounce runs on from the last of them.
    if (due > Date.now()) this.armUntil(due);
    else void this.now();
  };

  /**
   * Flushes at once, or right after the flush in flight. Resolves when a flush that started
   * after this call has finished; never rejects.
   */
  now(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // Settles with the next flush to run, not with the whole loop: while callers keep asking,
    // the loop keeps running, and each of them must not wait for the traffic to stop.
    const done = new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.running) this.rerun = true;
    // The loop runs every flush asked for while it runs: started in a request's context (its
    // close in 'on-close' mode, a handler's `flush()`), every one of them would run there.
    else this.running = this.options.detach ? this.options.detach(() => this.loop()) : this.loop();
    return done;
  }

  /** True while a flush is waiting for its debounce or in flight. */
  get busy(): boolean {
    return this.running !== undefined || this.timer !== undefined;
  }

  private async loop(): Promise<void> {
    do {
      this.rerun = false;
      // This flush covers every request so far.
      this.requestedDuringFlush = undefined;
      const waiting = this.waiting;
      this.waiting = [];
      try {
        // Wrapped so that a flush throwing synchronously still makes this function yield:
        // finishing synchronously would clear `running` before `now()` sets it, leaving a
        // settled promise there that blocks every later flush.
        await new Promise<unknown>((resolve) => resolve(this.flush()));
      } catch (error) {
        if (this.options.onError) reportError(this.options.onError, error);
      }
      for (const resolve of waiting) resolve();
    } while (this.rerun);
    // Cleared in the same turn as the last `rerun` check, so no request falls in between.
    this.running = undefined;
    const requestedAt = this.requestedDuringFlush;
    this.requestedDuringFlush = undefined;
    if (requestedAt !== undefined) this.arm(requestedAt);
  }
}
