import { backoffDelay, randomJitter } from './backoff.js';
import { BUFFERED_CONSUMER_OPTIONS } from './buffered-consumer.js';
import type { CloseOptions, CloseReport, CohorlyConsumer } from './cohorly-consumer.js';
import { deliveryError } from './delivery-error.js';
import { assertEndpoint, ENDPOINT_PATHS, type Endpoint } from './endpoints.js';
import { checkOptionNames, type OptionsElsewhere } from './option-names.js';
import {
  checkMs,
  DEFAULT_REQUEST_TIMEOUT_MS,
  defaultSleep,
  type FetchLike,
  normalizeApiHost,
  TRANSPORT_OPTIONS,
  type TransportOptions,
} from './runtime-options.js';
import { sleepUnlessAborted } from './sleep-unless-aborted.js';
import { isOk, isRetryable, postJson } from './transport.js';

/** Options of {@link Consumer}. */
export interface ConsumerOptions extends TransportOptions {
  /**
   * How many times a message is retried after a 429, a 5xx, a network error or a timeout,
   * waiting the contract's backoff in between (so at most `retryLimit + 1` requests). That
   * wait keeps the process alive, as the Python SDK's blocking `send()` does: a pending send
   * is delivered or rejected, never abandoned by a process that exits.
   * @default 4
   */
  retryLimit?: number;
}

/** Every option of {@link ConsumerOptions}: a key added there must be added here. */
export const CONSUMER_OPTIONS: Record<keyof ConsumerOptions, true> = {
  ...TRANSPORT_OPTIONS,
  retryLimit: true,
};

/** Batching options given to a `Consumer`, which has none: it sends each message at once. */
const BATCHING_ELSEWHERE: OptionsElsewhere = {
  options: BUFFERED_CONSUMER_OPTIONS,
  hint: (name) => `BufferedConsumer's ${name}?`,
};

/**
 * Sends each message at once, in its own request (the single object, never an array), and
 * settles only after delivery or failure. Retries 429, 5xx, network errors and timeouts with
 * the contract's backoff, up to `retryLimit` times; then, or at once for any other non-2xx,
 * the promise rejects with a `CohorlyError`.
 */
export class Consumer implements CohorlyConsumer {
  private readonly apiHost: string;
  private readonly requestTimeoutMs: number;
  private readonly retryLimit: number;
  private readonly fetchFn: FetchLike;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly jitter: () => number;
  private readonly inFlight = new Set<Promise<unknown>>();
  /**
   * One controller per send in flight, which `close()` aborts at its deadline. Not one shared
   * signal: each concurrent send would add a listener to it, and past ten Node.js warns of a
   * memory leak in the app's logs.
   */
  private readonly controllers = new Set<AbortController>();
  private sent = 0;

  /**
   * Throws a `TypeError` for an option it does not know (`host`, `flushAt`), naming the option
   * meant, and for an option's bad value.
   */
  constructor(options: ConsumerOptions = {}) {
    checkOptionNames(options, CONSUMER_OPTIONS, 'Consumer', BATCHING_ELSEWHERE);
    this.apiHost = normalizeApiHost(options.apiHost, 'Consumer');
    this.requestTimeoutMs = checkMs(
      options.requestTimeoutMs,
      DEFAULT_REQUEST_TIMEOUT_MS,
      'Consumer: requestTimeoutMs',
      // 0 would abort every request at once, and retry it for ever.
      1,
    );
    const retryLimit = options.retryLimit ?? 4;
    if (!Number.isInteger(retryLimit) || retryLimit < 0) {
      throw new TypeError(`Consumer: retryLimit must be an integer >= 0, got ${retryLimit}`);
    }
    this.retryLimit = retryLimit;
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.sleep = options.sleep ?? defaultSleep;
    this.jitter = options.jitter ?? randomJitter;
  }

  /** Delivers one JSON message now; rejects with a `CohorlyError` when delivery fails. */
  send(endpoint: Endpoint, jsonMessage: string): Promise<void> {
    assertEndpoint(endpoint, 'Consumer.send');
    if (typeof jsonMessage !== 'string') {
      throw new TypeError('Consumer.send: jsonMessage must be a JSON string');
    }
    const delivery = this.deliver(this.apiHost + ENDPOINT_PATHS[endpoint], jsonMessage);
    this.inFlight.add(delivery);
    const forget = () => this.inFlight.delete(delivery);
    delivery.then(forget, forget);
    return delivery;
  }

  /** Nothing is ever buffered: resolves `true`. */
  flush(): Promise<boolean> {
    return Promise.resolve(true);
  }

  /**
   * Waits for sends in flight until `timeoutMs`, then aborts them (their promises reject).
   * Reports as undelivered each send in flight at the call that did not succeed. Later sends
   * still work.
   */
  async close(options: CloseOptions = {}): Promise<CloseReport> {
    const timeoutMs = checkMs(options.timeoutMs, 10_000, 'Consumer.close: timeoutMs');
    // Whether each send in flight at the call was delivered: one aborted at the deadline (or
    // failed) is undelivered, though it has left the in-flight set by the time it is counted.
    const pending = [...this.inFlight].map((p) => p.then(DELIVERED, UNDELIVERED));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), timeoutMs);
    });
    const result = await Promise.race([Promise.all(pending), deadline]);
    clearTimeout(timer);
    if (result === 'deadline') {
      // Sends made after this get controllers of their own: closing does not disable the
      // consumer.
      for (const controller of this.controllers) controller.abort(new Error('closed'));
    }
    const outcomes = await Promise.all(pending);
    const undelivered = outcomes.filter((delivered) => !delivered).length;
    return {
      drained: undelivered === 0,
      sent: this.sent,
      undelivered,
      queued: { events: 0, people: 0, alias: 0 },
      dropped: { overflow: 0, rejected: 0, oversized: 0 },
    };
  }

  private async deliver(url: string, body: string): Promise<void> {
    const controller = new AbortController();
    this.controllers.add(controller);
    try {
      return await this.attempt(url, body, controller.signal);
    } finally {
      this.controllers.delete(controller);
    }
  }

  /** Sends `body`, retrying inline through the backoff, until delivered or failed. */
  private async attempt(url: string, body: string, signal: AbortSignal): Promise<void> {
    let failures = 0;
    for (;;) {
      const outcome = await postJson(url, body, {
        fetch: this.fetchFn,
        timeoutMs: this.requestTimeoutMs,
        signal,
      });
      if (isOk(outcome)) {
        this.sent += 1;
        return;
      }
      const retryable = isRetryable(outcome) && !signal.aborted;
      if (retryable && failures < this.retryLimit) {
        failures += 1;
        await sleepUnlessAborted(
          this.sleep,
          backoffDelay(failures, outcome.retryAfterMs, this.jitter),
          signal,
        );
        continue;
      }
      const what = retryable ? `failed after ${failures + 1} attempts` : 'failed';
      throw deliveryError(url, outcome, what, { retryable: isRetryable(outcome), messages: 1 });
    }
  }
}

const DELIVERED = () => true;
const UNDELIVERED = () => false;
