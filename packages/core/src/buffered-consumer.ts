import { backoffDelay, MAX_RETRY_DELAY_MS, randomJitter } from './backoff.js';
import type {
  CloseOptions,
  CloseReport,
  CohorlyConsumer,
  DrainOptions,
  DrainReport,
  DropCounts,
  EndpointCounts,
} from './cohorly-consumer.js';
import { deliveryError } from './delivery-error.js';
import { assertEndpoint, ENDPOINT_PATHS, ENDPOINTS, type Endpoint } from './endpoints.js';
import { CohorlyError } from './errors.js';
import { type Batch, MessageQueue, messageAt } from './message-queue.js';
import { checkOptionNames } from './option-names.js';
import { raceDeadline } from './race-deadline.js';
import {
  checkMs,
  DEFAULT_REQUEST_TIMEOUT_MS,
  defaultSleep,
  describeOption,
  type FetchLike,
  normalizeApiHost,
  TRANSPORT_OPTIONS,
  type TransportOptions,
} from './runtime-options.js';
import { type HttpOutcome, isOk, isRetryable, postJson } from './transport.js';

/** The server's limit on items in one batch. */
export const MAX_BATCH_SIZE = 500;

/** The least `drain()` and `close()` wait between two failed attempts, in milliseconds. */
const MIN_RETRY_GAP_MS = 1000;

/** Options of {@link BufferedConsumer}. */
export interface BufferedConsumerOptions extends TransportOptions {
  /**
   * Messages per batch; a buffer flushes when it holds this many. Clamped to 1..500.
   * @default 50
   */
  maxSize?: number;
  /**
   * Messages each buffer (events, people, alias) may hold; beyond it the **oldest** are
   * dropped, counted and reported. Raise it for bulk imports from a tight loop. An integer
   * from 1; a queue smaller than `maxSize` sends batches of `maxQueueSize` (a buffer that
   * can never reach `maxSize` would only be sent by the timer, dropping what overflows).
   * @default 1000
   */
  maxQueueSize?: number;
  /**
   * Background flush period in milliseconds, up to 2147483647; 0 disables the timer. The
   * timer never keeps the process alive.
   * @default 10000
   */
  flushIntervalMs?: number;
  /**
   * Receives every failure of a background flush and every dropped message, as a
   * `CohorlyError`. Errors never reach the promises of `send()` or `track()`.
   * @default a one-line `console.warn`
   */
  onError?: (error: CohorlyError) => void;
}

/** Every option of {@link BufferedConsumerOptions}: a key added there must be added here. */
export const BUFFERED_CONSUMER_OPTIONS: Record<keyof BufferedConsumerOptions, true> = {
  ...TRANSPORT_OPTIONS,
  maxSize: true,
  maxQueueSize: true,
  flushIntervalMs: true,
  onError: true,
};

/** A snapshot of a {@link BufferedConsumer}'s counters. */
export interface BufferedConsumerStats {
  /** Messages not yet delivered (buffered or in flight), per endpoint. */
  queued: EndpointCounts;
  /** Messages delivered. */
  sent: number;
  /** Messages dropped, by reason. */
  dropped: DropCounts;
  /** Failed attempts whose messages stayed queued for another try. */
  retries: number;
  /** Epoch ms at which the current backoff window ends; 0 when there is none. */
  nextAttemptAt: number;
}

/** What one drain of one buffer ended with. */
interface DrainResult {
  /** The buffer was emptied. */
  drained: boolean;
  /**
   * Every message queued when the drain started was delivered or dropped: the drain ended
   * without a backoff window and without leaving a partial batch for later.
   */
  complete: boolean;
  /** Batches the server permanently rejected during this drain. */
  rejected: CohorlyError[];
}

const warnOnce = (error: CohorlyError) => console.warn(`[cohorly] ${error.message}`);
const noop = () => undefined;
const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Batches messages per endpoint and delivers them with the Cohorly retry contract: backoff on
 * 429, 5xx and network errors (honouring `Retry-After`), batch halving on 413, dropping only
 * what the server permanently rejects, and a bounded queue that drops the oldest first.
 * At most one request per endpoint is in flight, so no message is ever sent twice by racing
 * flushes.
 */
export class BufferedConsumer implements CohorlyConsumer {
  private readonly apiHost: string;
  private readonly requestTimeoutMs: number;
  private readonly maxSize: number;
  private readonly maxQueueSize: number;
  private readonly flushIntervalMs: number;
  private readonly fetchFn: FetchLike;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly jitter: () => number;
  private readonly onError: (error: CohorlyError) => void;

  private readonly queues: Record<Endpoint, MessageQueue>;
  private readonly inFlight: EndpointCounts = { events: 0, people: 0, alias: 0 };
  private readonly drains: Partial<Record<Endpoint, Promise<DrainResult>>> = {};
  /**
   * The running drain of each endpoint as a `Promise<void>`, shared by every `send` that joins
   * it in the same turn of the event loop (see {@link joinDrain}).
   */
  private readonly joins: Partial<Record<Endpoint, Promise<void>>> = {};
  /** The batch each endpoint's drain has on the wire, from `take` until it is settled. */
  private readonly taken: Partial<Record<Endpoint, Batch>> = {};
  /**
   * Bumped when a drain is forgotten ({@link forgetDeadDrain}): a drain started in an older
   * generation no longer owns its endpoint's state, and must neither clear nor settle it.
   */
  private readonly generations: Record<Endpoint, number> = { events: 0, people: 0, alias: 0 };
  /** Whether the running drain must empty its buffer, or only send the batches that are full. */
  private readonly drainAll: Record<Endpoint, boolean> = {
    events: false,
    people: false,
    alias: false,
  };
  private readonly dropped: DropCounts = { overflow: 0, rejected: 0, oversized: 0 };
  private readonly overflowToReport: EndpointCounts = { events: 0, people: 0, alias: 0 };
  private overflowReportScheduled = false;
  private flushBatchSize: number;
  private failures = 0;
  private nextAttemptAt = 0;
  private sent = 0;
  private retries = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private abort = new AbortController();
  private closing: Promise<CloseReport> | undefined;
  /** True once `close()` has resolved: its own retries are over. */
  private closed = false;
  /** The one retry of messages sent after `close()`, at the end of a backoff window. */
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Throws a `TypeError` for an option it does not know (`host`, `flushAt`), naming the option
   * meant, and for an option's bad value.
   */
  constructor(options: BufferedConsumerOptions = {}) {
    checkOptionNames(options, BUFFERED_CONSUMER_OPTIONS, 'BufferedConsumer');
    this.apiHost = normalizeApiHost(options.apiHost, 'BufferedConsumer');
    this.requestTimeoutMs = checkMs(
      options.requestTimeoutMs,
      DEFAULT_REQUEST_TIMEOUT_MS,
      'BufferedConsumer: requestTimeoutMs',
      // 0 would abort every request at once, and retry it for ever.
      1,
    );
    this.maxQueueSize = options.maxQueueSize ?? 1000;
    // 0 would not mean "no cap": it would keep one message and drop every other.
    if (!(Number.isInteger(this.maxQueueSize) && this.maxQueueSize >= 1)) {
      throw new TypeError(
        `BufferedConsumer: maxQueueSize must be an integer >= 1, got ${describeOption(options.maxQueueSize)}`,
      );
    }
    this.maxSize = Math.min(
      Math.max(Math.floor(checkCount(options.maxSize, 50, 'maxSize')), 1),
      MAX_BATCH_SIZE,
      this.maxQueueSize,
    );
    this.flushIntervalMs = checkMs(
      options.flushIntervalMs,
      10_000,
      'BufferedConsumer: flushIntervalMs',
    );
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.jitter = options.jitter ?? randomJitter;
    this.onError = options.onError ?? warnOnce;
    this.flushBatchSize = this.maxSize;
    // Messages are joined in batches of the size they will be sent in.
    this.queues = {
      events: new MessageQueue(this.maxSize),
      people: new MessageQueue(this.maxSize),
      alias: new MessageQueue(this.maxSize),
    };
    // Started here rather than at the first send: a timer belongs to the async context it
    // was created in, and a server's first send happens inside some request, which would
    // then be kept alive, and current in every timer flush, for the life of the process.
    try {
      this.startTimer();
    } catch {
      // Cloudflare Workers refuse timers at global scope, where a client is usually made.
      // The first send then sets one inside a request, but Workers cancel a request's
      // timers when it ends: no background flush ever runs there (`this.timer` stays set,
      // so later sends do not set one per request). There, each request hands `flush()` or
      // `drain()` to `ctx.waitUntil` (README, "Cloudflare Workers").
    }
  }

  /**
   * Queues one JSON message. When its buffer reaches `maxSize`, a flush starts and the
   * promise resolves once that flush has been attempted (natural backpressure for callers
   * who `await`). Never rejects because of delivery: failures go to `onError`.
   */
  send(endpoint: Endpoint, jsonMessage: string): Promise<void> {
    assertEndpoint(endpoint, 'BufferedConsumer.send');
    if (typeof jsonMessage !== 'string') {
      throw new TypeError('BufferedConsumer.send: jsonMessage must be a JSON string');
    }
    const queue = this.queues[endpoint];
    queue.push(jsonMessage);
    if (queue.length > this.maxQueueSize) this.enforceQueueCap(endpoint);
    if (this.timer === undefined) this.startTimer();
    // After close() there is no timer left, so every message is flushed as it comes.
    if (this.closing) return this.joinDrain(endpoint, true);
    if (queue.length >= this.maxSize) return this.joinDrain(endpoint, false);
    // One settled promise serves every call: a tight loop allocates nothing per message.
    return RESOLVED;
  }

  /**
   * Tries to deliver every buffer. Resolves `true` when all are empty, `false` when messages
   * remain (inside a backoff window, or the server is failing). Rejects with a
   * `CohorlyError` when the server permanently rejected a batch during this flush (that
   * batch is dropped; the rest of the queue is kept), as the Python SDK's `flush()` raises.
   */
  async flush(): Promise<boolean> {
    const results = await this.drainEndpoints();
    const rejected = results.flatMap((result) => result.rejected);
    const [first] = rejected;
    if (first && rejected.length === 1) throw first;
    if (first) {
      const messages = rejected.reduce((sum, error) => sum + error.messages, 0);
      throw new CohorlyError(
        `${rejected.length} batches (${messages} messages) were rejected and dropped; first: ${first.message}`,
        { code: first.code, status: first.status, messages, cause: rejected },
      );
    }
    return results.every((result) => result.drained);
  }

  /**
   * Delivers every message queued before the call, flushing and waiting out backoff windows,
   * for at most `timeoutMs` (default 10 s). Unlike `close()`, the consumer keeps running (its
   * timer, later sends) and nothing is aborted at the deadline. Messages sent meanwhile are
   * not waited for, so under steady traffic it still ends. Never rejects: failures and drops
   * go to `onError` (a bad `timeoutMs` throws at the call). For the end of a serverless
   * invocation, or a test that must see what was tracked.
   */
  drain(options: DrainOptions = {}): Promise<DrainReport> {
    const timeoutMs = checkMs(options.timeoutMs, 10_000, 'BufferedConsumer.drain: timeoutMs');
    return this.drainWithin(this.clock() + timeoutMs);
  }

  private async drainWithin(deadline: number): Promise<DrainReport> {
    // A flush that starts after the call drains everything queued before it, so one that
    // completes on every endpoint settles those messages whatever arrived meanwhile.
    const { done } = await this.retryWithin(deadline, () =>
      this.drainEndpoints().then(
        (results) => results.every((result) => result.complete),
        () => false,
      ),
    );
    const undelivered = total(this.queuedCounts());
    return { drained: done || undelivered === 0, undelivered };
  }

  /** A snapshot of the counters: queued per endpoint, sent, dropped by reason, retries, backoff. */
  stats(): BufferedConsumerStats {
    return {
      queued: this.queuedCounts(),
      sent: this.sent,
      dropped: { ...this.dropped },
      retries: this.retries,
      nextAttemptAt: this.nextAttemptAt > this.clock() ? this.nextAttemptAt : 0,
    };
  }

  /**
   * Stops the timer and keeps flushing (honouring backoff) until everything is delivered or
   * `timeoutMs` passes; then aborts what is still in flight. Resolves with what was sent and
   * what remains. Idempotent: later calls return the first call's report. Messages sent
   * after `close()` are still delivered, each flushed as it comes.
   */
  close(options: CloseOptions = {}): Promise<CloseReport> {
    const timeoutMs = checkMs(options.timeoutMs, 10_000, 'BufferedConsumer.close: timeoutMs');
    this.closing ??= this.closeWithin(timeoutMs);
    return this.closing;
  }

  private async closeWithin(timeoutMs: number): Promise<CloseReport> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const { running } = await this.retryWithin(this.clock() + timeoutMs, () =>
      this.flush().catch(() => false),
    );
    // The process is about to end: what is still on the wire is aborted, and kept.
    if (running) {
      this.abortInFlight();
      await running;
    }
    this.closed = true;
    const queued = this.queuedCounts();
    const undelivered = total(queued);
    return {
      drained: undelivered === 0,
      sent: this.sent,
      undelivered,
      queued,
      dropped: { ...this.dropped },
    };
  }

  /**
   * Runs `turn` until it resolves `true`, waiting out the backoff window between turns, until
   * `deadline`. Each turn delivers, waits out a backoff, or ends at the deadline: bounded.
   * `running` is the turn still in flight when the deadline came, if one was.
   */
  private async retryWithin(
    deadline: number,
    turn: () => Promise<boolean>,
  ): Promise<{ done: boolean; running?: Promise<boolean> }> {
    while (this.clock() < deadline) {
      const running = turn();
      const done = await raceDeadline(running, deadline - this.clock());
      if (done === 'deadline') return { done: false, running };
      if (done) return { done: true };
      // A server that fails with `Retry-After: 0` (or less) opens no window: without a
      // floor, drain() and close() would retry it in a tight loop, hundreds of requests a
      // second against a server that is rate limiting.
      const wait = Math.max(
        Math.min(this.nextAttemptAt, deadline) - this.clock(),
        Math.min(MIN_RETRY_GAP_MS, deadline - this.clock()),
      );
      // A plain sleep, bounded by the deadline: listening to the abort signal here would add
      // one listener per concurrent drain() (a serverless function's requests during an
      // outage), and past ten Node.js warns of a leak. Nothing aborts while a turn sleeps:
      // close() aborts only after its own loop.
      if (wait > 0) await this.sleep(wait);
    }
    return { done: false };
  }

  /** One drain of every buffer, each emptied; what `flush()` and `drain()` are made of. */
  private async drainEndpoints(): Promise<DrainResult[]> {
    // In order, as the Python SDK does: once one endpoint opens a backoff window, the
    // others skip their turn instead of failing against the same server again.
    const results: DrainResult[] = [];
    for (const endpoint of ENDPOINTS) {
      // A drain already running was bounded before this call: let it finish, then drain what
      // is queued now ("runs right after it"; contract 4.3).
      const before = this.drains[endpoint];
      try {
        await before;
      } catch {
        if (before) this.forgetDeadDrain(endpoint, before);
      }
      // Joined rather than started when another call started one meanwhile.
      const running = this.drainEndpoint(endpoint, true);
      let result: DrainResult;
      try {
        result = await running;
      } catch {
        this.forgetDeadDrain(endpoint, running);
        result = await this.drainRecovering(endpoint, true);
      }
      results.push(result);
    }
    return results;
  }

  /**
   * Single-flight: a drain already running for this endpoint is joined, not doubled. With
   * `all`, the drain empties the buffer (a flush, the timer, close); without, it sends only
   * full batches (a buffer reached `maxSize`) and leaves the rest to fill up, instead of
   * sending the few messages that arrived during each request as a batch of their own.
   */
  private drainEndpoint(endpoint: Endpoint, all: boolean): Promise<DrainResult> {
    if (all) this.drainAll[endpoint] = true;
    let running = this.drains[endpoint];
    if (!running) {
      running = this.drainNow(endpoint);
      this.drains[endpoint] = running;
    }
    return running;
  }

  /**
   * {@link drainEndpoint} as the `Promise<void>` that `send` returns, one per drain and turn
   * of the event loop, not per call. Never rejects.
   */
  private joinDrain(endpoint: Endpoint, all: boolean): Promise<void> {
    const running = this.drainEndpoint(endpoint, all);
    let joined = this.joins[endpoint];
    if (!joined) {
      // Through the drain that follows this one, if it starts one: it sends what this
      // drain left out, the message of a call that joined late among it. A drain that can
      // never finish is replaced by one started here (see forgetDeadDrain).
      const made = running
        .then(() => this.drains[endpoint])
        .then(noop, () => this.drainRecovering(endpoint, all).then(noop));
      joined = made;
      this.joins[endpoint] = made;
      // Shared by the calls of this turn only (a tight loop), not with a later turn, which
      // may be another request: on Workers, a promise made by a request that has ended
      // rejects wherever it is awaited, and the rejection handler above runs only in the
      // request that made it.
      queueMicrotask(() => {
        if (this.joins[endpoint] === made) this.joins[endpoint] = undefined;
      });
    }
    return joined;
  }

  /**
   * Joins the endpoint's drain, or starts one, from this call, forgetting each drain that
   * rejects; never rejects. Bounded: the last attempt starts a drain here, unless another
   * call started one meanwhile, and a drain started here does not reject.
   */
  private async drainRecovering(endpoint: Endpoint, all: boolean): Promise<DrainResult> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const running = this.drainEndpoint(endpoint, all);
      try {
        return await running;
      } catch {
        this.forgetDeadDrain(endpoint, running);
      }
    }
    return { drained: false, complete: false, rejected: [] };
  }

  /**
   * Forgets `dead`, a drain that rejected where it was awaited: `drainNow` never rejects
   * (every failure of a request is an outcome), so that drain can never finish. On
   * Cloudflare Workers, a drain's I/O belongs to the request it started in, and a drain
   * started in a request that has since ended never settles: without this, its endpoint
   * would stay "draining" for good, and every later flush and full batch would wait on it.
   * Its batch on the wire goes back to the front of the queue; resending a batch the server
   * may have stored is safe, as after a timeout: events are deduplicated by `$insert_id`.
   */
  private forgetDeadDrain(endpoint: Endpoint, dead: Promise<DrainResult>): void {
    // Already forgotten by another call, which may have started the drain that runs now.
    if (this.drains[endpoint] !== dead) return;
    this.generations[endpoint] += 1;
    this.drains[endpoint] = undefined;
    this.joins[endpoint] = undefined;
    this.drainAll[endpoint] = false;
    this.inFlight[endpoint] = 0;
    const taken = this.taken[endpoint];
    if (taken === undefined) return;
    this.taken[endpoint] = undefined;
    this.queues[endpoint].putBack(taken);
    this.enforceQueueCap(endpoint);
  }

  private async drainNow(endpoint: Endpoint): Promise<DrainResult> {
    const generation = this.generations[endpoint];
    // Yield once so that `this.drains[endpoint]` is set before any early return below.
    await undefined;
    // Forgotten before it began: the endpoint belongs to a newer drain.
    if (generation !== this.generations[endpoint]) {
      return { drained: false, complete: false, rejected: [] };
    }
    const queue = this.queues[endpoint];
    const url = this.apiHost + ENDPOINT_PATHS[endpoint];
    const rejected: CohorlyError[] = [];
    // Bounded by what was queued when the drain started: messages that keep arriving under
    // steady traffic go to the next drain, so every drain (and every flush) settles.
    let budget = queue.length;
    try {
      // /alias sends one object per request anyway: it always drains.
      while (
        budget > 0 &&
        queue.length >= (this.drainAll[endpoint] || endpoint === 'alias' ? 1 : this.flushBatchSize)
      ) {
        if (this.clock() < this.nextAttemptAt) {
          return { drained: false, complete: false, rejected };
        }
        // /alias takes exactly one object; the others take a JSON array.
        const batch = queue.take(endpoint === 'alias' ? 1 : this.flushBatchSize);
        const payload = endpoint === 'alias' ? messageAt(batch, 0) : batch.parts.join('');
        this.inFlight[endpoint] = batch.length;
        this.taken[endpoint] = batch;
        let outcome: HttpOutcome;
        try {
          outcome = await postJson(url, payload, {
            fetch: this.fetchFn,
            timeoutMs: this.requestTimeoutMs,
            signal: this.abort.signal,
          });
        } finally {
          if (generation === this.generations[endpoint]) this.inFlight[endpoint] = 0;
        }
        // Forgotten while on the wire: its batch is back in the queue, for a newer drain.
        if (generation !== this.generations[endpoint]) {
          return { drained: false, complete: false, rejected };
        }
        this.taken[endpoint] = undefined;
        const settled = this.settle(endpoint, url, batch, outcome, rejected);
        if (settled === 'stop') return { drained: false, complete: false, rejected };
        if (settled === 'done') budget -= batch.length;
      }
      // The loop ends with the budget spent (what was queued at the start has left the
      // queue, from its front) or the buffer below its threshold: empty when draining all.
      const drained = queue.length === 0;
      return { drained, complete: budget <= 0 || drained, rejected };
    } finally {
      // Cleared in the same turn as the last emptiness check: a send after this point
      // starts a new drain instead of joining one that has already decided it is done. Not
      // by a forgotten drain: the endpoint's state belongs to the drain that replaced it.
      if (generation === this.generations[endpoint]) {
        this.drains[endpoint] = undefined;
        this.joins[endpoint] = undefined;
        this.drainAll[endpoint] = false;
        this.drainWhatArrived(endpoint);
      }
    }
  }

  /**
   * Starts the next drain when messages that arrived during the one that just ended fill a
   * batch (or, once closing, whenever any arrived): the send that filled it joined a drain
   * whose budget was already set, so nothing else would send them before the timer, or
   * ever, with the timer off or the consumer closed. Not inside a backoff window: the
   * drain stopped for it, and the timer or the next flush comes after it.
   */
  private drainWhatArrived(endpoint: Endpoint): void {
    const all = this.closing !== undefined;
    const threshold = all || endpoint === 'alias' ? 1 : this.flushBatchSize;
    if (this.queues[endpoint].length < threshold) return;
    if (this.clock() < this.nextAttemptAt) {
      if (this.closed) this.retryAfterBackoff();
      return;
    }
    this.drainAll[endpoint] = all;
    this.drains[endpoint] = this.drainNow(endpoint);
  }

  /**
   * After `close()` there is no timer: a message sent then, inside a backoff window, would
   * stay queued until another send. One retry at the end of the window takes it. Unref'd,
   * as every timer here: the app has closed the client and may exit.
   */
  private retryAfterBackoff(): void {
    if (this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.flush().catch(noop);
      },
      Math.max(this.nextAttemptAt - this.clock(), 0),
    );
    (this.retryTimer as { unref?: () => void }).unref?.();
  }

  /**
   * Applies the retry contract to one answer: `'done'` when the batch was delivered or
   * dropped, `'again'` when it is back in the queue to retry at once (413 halving), `'stop'`
   * when it is back in the queue and a backoff window opened.
   */
  private settle(
    endpoint: Endpoint,
    url: string,
    batch: Batch,
    outcome: HttpOutcome,
    rejected: CohorlyError[],
  ): 'done' | 'again' | 'stop' {
    const queue = this.queues[endpoint];
    if (isOk(outcome)) {
      this.sent += batch.length;
      this.failures = 0;
      this.nextAttemptAt = 0;
      return 'done';
    }
    const retryable = isRetryable(outcome);
    if (retryable || outcome.status === 401) {
      queue.putBack(batch);
      this.enforceQueueCap(endpoint);
      this.retries += 1;
      this.failures += 1;
      // 401: the token is wrong; keep the queue and back off for the longest delay.
      const delay = retryable
        ? backoffDelay(this.failures, outcome.retryAfterMs, this.jitter)
        : MAX_RETRY_DELAY_MS;
      this.nextAttemptAt = this.clock() + delay;
      const retryAt = new Date(this.nextAttemptAt).toISOString();
      this.report(
        deliveryError(
          url,
          outcome,
          `failed; ${queue.length} messages kept, next attempt at ${retryAt}`,
          {
            retryable: true,
            messages: queue.length,
          },
        ),
      );
      return 'stop';
    }
    if (outcome.status === 413 && batch.length > 1) {
      // Too large for the server: halve the batch (floor 1) and retry at once.
      queue.putBack(batch);
      this.flushBatchSize = Math.max(Math.floor(batch.length / 2), 1);
      this.retries += 1;
      return 'again';
    }
    const oversized = outcome.status === 413;
    if (oversized) this.dropped.oversized += batch.length;
    else this.dropped.rejected += batch.length;
    const what = oversized
      ? 'refused a message over the server payload limit; it was dropped'
      : `rejected a batch of ${batch.length} messages; they were dropped`;
    const error = deliveryError(url, outcome, what, { retryable: false, messages: batch.length });
    rejected.push(error);
    this.report(error);
    return 'done';
  }

  private enforceQueueCap(endpoint: Endpoint): void {
    const queue = this.queues[endpoint];
    const excess = queue.length - this.maxQueueSize;
    if (excess <= 0) return;
    queue.dropOldest(excess);
    this.dropped.overflow += excess;
    this.overflowToReport[endpoint] += excess;
    // A tight loop may overflow thousands of times before it yields: report once per turn.
    if (!this.overflowReportScheduled) {
      this.overflowReportScheduled = true;
      queueMicrotask(() => this.reportOverflow());
    }
  }

  private reportOverflow(): void {
    this.overflowReportScheduled = false;
    for (const endpoint of ENDPOINTS) {
      const count = this.overflowToReport[endpoint];
      if (count === 0) continue;
      this.overflowToReport[endpoint] = 0;
      this.report(
        new CohorlyError(
          `the ${endpoint} buffer is full (maxQueueSize ${this.maxQueueSize}); dropped the ${count} oldest messages`,
          { code: 'overflow', messages: count },
        ),
      );
    }
  }

  private report(error: CohorlyError): void {
    try {
      const returned: unknown = this.onError(error);
      // An async onError that fails (a log shipper down) must not become an unhandled
      // rejection, which would end a Node process.
      if (returned instanceof Promise) returned.catch(noop);
    } catch {
      // A throwing onError must not stop delivery.
    }
  }

  private startTimer(): void {
    if (this.timer !== undefined || this.flushIntervalMs === 0 || this.closing) return;
    this.timer = setInterval(() => {
      this.flush().catch(noop);
    }, this.flushIntervalMs);
    // An idle client must never keep the process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private abortInFlight(): void {
    const abort = this.abort;
    this.abort = new AbortController();
    abort.abort(new Error('close() deadline'));
  }

  private queuedCounts(): EndpointCounts {
    return {
      events: this.queues.events.length + this.inFlight.events,
      people: this.queues.people.length + this.inFlight.people,
      alias: this.queues.alias.length + this.inFlight.alias,
    };
  }
}

/** Messages over all endpoints. */
function total(counts: EndpointCounts): number {
  return counts.events + counts.people + counts.alias;
}

function checkCount(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`BufferedConsumer: ${name} must be a number, got ${describeOption(value)}`);
  }
  return value;
}
