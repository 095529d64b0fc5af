import { describeValue } from './describe-value.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AliasRecord, BackendParts } from './cohorly-backend.js';
import { deepFreeze } from './deep-freeze.js';
import { type EventQuery, eventMatcher } from './event-query.js';
import { type EventListener, EventStore, type StoredEvent } from './event-store.js';
import { EventStream } from './event-stream.js';
import { EventViews } from './event-views.js';
import { EventWaiters, type WaitForEventsOptions } from './event-waiters.js';
import { FaultInjector, type Faults, type RateLimitOptions } from './fault-injector.js';
import { IdentityMap } from './identity-map.js';
import { type Profile, ProfileStore } from './profile-store.js';
import { type HandlerContext, handleRequest, type RecordedRequest } from './request-handler.js';
import { send } from './send.js';

/** The default body cap of the test server: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** The most items a `/track` or `/engage` array may hold, as on the Cohorly server. */
export const DEFAULT_MAX_BATCH_SIZE = 500;

/** Options of {@link startTestServer}. */
export interface TestServerOptions {
  /**
   * Port to listen on; 0 picks a free one (read it from `server.port` or `server.url`).
   * @default 0
   */
  port?: number;
  /**
   * Interface to listen on. Keep the loopback default unless something outside this machine
   * must reach the server.
   * @default "127.0.0.1"
   */
  host?: string;
  /**
   * The project tokens the server accepts; any other token is answered 401.
   * @default undefined (every token is accepted)
   */
  tokens?: readonly string[];
  /**
   * Largest request body in bytes; a larger one is answered 413 as soon as the cap is passed.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Most items in one `/track` or `/engage` array; more is answered 413.
   * @default 500
   */
  maxBatchSize?: number;
  /**
   * The server's clock in epoch milliseconds: stamps what is stored and drives
   * `faults.failFor` windows and the rate limit. Pass a fake clock to test time without
   * sleeping.
   * @default Date.now
   */
  clock?: () => number;
  /**
   * Answer requests over this rate with 429 and a `Retry-After` header.
   * @default undefined (no limit)
   */
  rateLimit?: RateLimitOptions;
  /**
   * Events the server starts with, as `events()` returned them earlier; they count for
   * deduplication. The dev server reloads its data file through this.
   * @default []
   */
  initialEvents?: readonly StoredEvent[];
}

/**
 * A running test server. Besides the Cohorly endpoints it serves a live events page at `/`
 * (open `server.url` in a browser), with its JSON snapshot at `GET /api/events` and a
 * server-sent events stream at `GET /api/stream`.
 */
export interface TestServer {
  /**
   * Base URL, such as `http://127.0.0.1:54321`: pass it as `apiHost`, or open it in a browser
   * to watch events arrive.
   */
  readonly url: string;
  /** The port listened on. */
  readonly port: number;
  /** Fault injection: scripted replies, failure windows. */
  readonly faults: Faults;
  /**
   * Stored events, oldest first; with a query, only those it matches. Throws a `TypeError`
   * for a filter key it does not know (`{ distinct_id: 'u' }` would match every event), and
   * whatever a predicate or `where` throws, to the caller.
   */
  events(query?: EventQuery<StoredEvent>): StoredEvent[];
  /** People profiles as the accepted `/engage` operations left them. */
  profiles(): Profile[];
  /** Accepted aliases, oldest first. */
  aliases(): AliasRecord[];
  /**
   * Every request received, oldest first, including rejected and faulted ones; the events
   * page's own requests (`GET /`, `/api/events`, `/api/stream`) are left out.
   */
  requests(): RecordedRequest[];
  /**
   * Resolves with the matching events once enough have arrived: with a number, once that
   * many events are stored (with all of them); with a query, once `options.count` events
   * match it (with all that match). Also resolves when an alias makes stored events match a
   * `distinctId`. Rejects after `options.timeoutMs` with an error listing the events that
   * did arrive; when the server closes (at once, for a wait begun after `close()`); with a
   * `TypeError` for a filter key it does not know; and when the predicate or `where` throws,
   * with an error naming the event it threw on (the thrown error is its `cause`).
   */
  waitForEvents(
    match: number | EventQuery<StoredEvent>,
    options?: WaitForEventsOptions,
  ): Promise<StoredEvent[]>;
  /** Calls `listener` with each newly stored event; returns the function that unsubscribes. */
  onEvent(listener: EventListener): () => void;
  /**
   * Forgets stored events, profiles, aliases, the request log and every fault script; open
   * events pages are told to empty their tables.
   */
  reset(): void;
  /**
   * Stops the server, ends open event streams and destroys open connections; safe to call
   * more than once.
   */
  close(): Promise<void>;
}

/** Starts a local server that accepts, validates and stores what Cohorly SDKs send. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  checkServerOptions(options);
  const {
    port = 0,
    host = '127.0.0.1',
    maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
    maxBatchSize = DEFAULT_MAX_BATCH_SIZE,
    clock = Date.now,
  } = options;
  checkInteger(port, 'port', 0, 65_535);
  checkInteger(maxBodyBytes, 'maxBodyBytes', 1, Number.MAX_SAFE_INTEGER);
  checkInteger(maxBatchSize, 'maxBatchSize', 1, Number.MAX_SAFE_INTEGER);
  const events = new EventStore();
  // Copied and frozen like every stored event: the caller's objects stay the caller's.
  events.add((options.initialEvents ?? []).map((event) => deepFreeze(structuredClone(event))));
  const identities = new IdentityMap();
  const parts: BackendParts = {
    events,
    profiles: new ProfileStore(),
    identities,
    aliases: [],
    tokens: options.tokens === undefined ? undefined : new Set(options.tokens),
    maxBatchSize,
    clock,
  };
  const faults = new FaultInjector(clock, options.rateLimit);
  const log: RecordedRequest[] = [];
  const matcher = (query: EventQuery<StoredEvent> | undefined) => eventMatcher(query, identities);
  const waiters = new EventWaiters(events, matcher);
  // An alias can make events already stored match a pending wait's distinctId.
  identities.subscribe(() => waiters.recheck());

  const views = new EventViews(events);
  const stream = new EventStream(events, views);
  const page = { views, stream, identities };
  const context: HandlerContext = { backend: parts, faults, log, maxBodyBytes, page };
  const server = createServer((request, response) => {
    handleRequest(context, request, response).catch((error: unknown) => {
      // A bug here must still answer, or the client would hang until its timeout.
      if (!response.headersSent && !response.destroyed) {
        send(response, 500, { error: `test server failure: ${String(error)}` });
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.address.includes(':') ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    faults,
    events: (query) => events.all().filter(matcher(query)),
    profiles: () => parts.profiles.all(),
    aliases: () => parts.aliases.map((record) => ({ ...record })),
    requests: () => log.map((entry) => ({ ...entry })),
    waitForEvents: (match, waitOptions) => waiters.wait(match, waitOptions),
    onEvent: (listener) => events.subscribe(listener),
    reset() {
      events.clear();
      parts.profiles.clear();
      identities.clear();
      parts.aliases.length = 0;
      log.length = 0;
      faults.clear();
      // Open event pages empty their tables too.
      stream.reset();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        waiters.cancelAll('the test server was closed');
        // Open event streams never end by themselves: end them, and stop their heartbeat.
        stream.close();
        server.close(() => resolve());
        // Keep-alive and hanging (delayed) connections would hold close() open otherwise.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

// Records rather than a list, so that the compiler says when an option is added but not here.
const SERVER_OPTIONS = Object.keys({
  port: true,
  host: true,
  tokens: true,
  maxBodyBytes: true,
  maxBatchSize: true,
  clock: true,
  rateLimit: true,
  initialEvents: true,
} satisfies Record<keyof TestServerOptions, true>);

/**
 * Rejects options that would otherwise be silently wrong: a typo (`{ token: 'T' }` accepts
 * every token), or `tokens: 'abc'`, which a Set would read as the tokens `a`, `b` and `c`.
 */
function checkServerOptions(options: TestServerOptions): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      `startTestServer: options must be an object, got ${describeValue(options)}`,
    );
  }
  const unknown = Object.keys(options).find((key) => !SERVER_OPTIONS.includes(key));
  if (unknown !== undefined) {
    throw new TypeError(
      `startTestServer: unknown option ${JSON.stringify(unknown)} (valid: ${SERVER_OPTIONS.join(', ')})`,
    );
  }
  const { tokens, host, clock, initialEvents } = options;
  if (
    tokens !== undefined &&
    !(Array.isArray(tokens) && tokens.every((token) => typeof token === 'string' && token !== ''))
  ) {
    throw new TypeError(
      `startTestServer: tokens must be an array of non-empty strings, got ${describeValue(tokens)}`,
    );
  }
  if (host !== undefined && (typeof host !== 'string' || host === '')) {
    throw new TypeError(
      `startTestServer: host must be a non-empty string, got ${describeValue(host)}`,
    );
  }
  if (clock !== undefined && typeof clock !== 'function') {
    throw new TypeError(`startTestServer: clock must be a function, got ${describeValue(clock)}`);
  }
  if (initialEvents !== undefined && !Array.isArray(initialEvents)) {
    throw new TypeError(
      `startTestServer: initialEvents must be an array, got ${describeValue(initialEvents)}`,
    );
  }
}

function checkInteger(value: number, name: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`startTestServer: ${name} must be an integer ${min}-${max}, got ${value}`);
  }
}
