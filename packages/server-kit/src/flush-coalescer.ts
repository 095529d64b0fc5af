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
}

/**
 * Coalesces the flushes that many finishing requests ask for, so a busy server sends one
 * Cohorly request per batch, not one per HTTP request: a flush waits `debounceMs` for more
 * requests, never more than `maxWaitMs` in all, and at most one flush is in flight. Requests
 * that arrive during a flush start a new debounce when it ends (so that under steady traffic
 * each flush still carries up to `maxWaitMs` of events, not just the few that arrived while
 * the last one was on the wire); a `now()` meanwhile runs right after it. Its timers never
 * keep the process alive.
 */
export class FlushCoalescer {
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private firstRequestAt = 0;
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
    if (this.running) {
      this.requestedDuringFlush ??= Date.now();
      return;
    }
    this.schedule(this.timer === undefined ? Date.now() : this.firstRequestAt);
  }

  /** (Re)starts the debounce for a flush first asked for at `firstAt`. */
  private schedule(firstAt: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.firstRequestAt = firstAt;
    const wait = Math.max(0, Math.min(this.debounceMs, firstAt + this.maxWaitMs - Date.now()));
    this.timer = setTimeout(() => void this.now(), wait);
    (this.timer as { unref?: () => void }).unref?.();
  }

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
    else this.running = this.loop();
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
    if (requestedAt !== undefined) this.schedule(requestedAt);
  }
}
