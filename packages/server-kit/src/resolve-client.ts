import {
  BufferedConsumer,
  Cohorly,
  type CloseOptions,
  type CloseReport,
  type CohorlyClient,
  type FetchLike,
} from '@cohorly/core';
import { describeValue, isPlainObject } from './describe-value.js';
import { readEnv } from './read-env.js';
import type { ErrorHandler } from './report-error.js';

/** How an integration finds its client: one you made, or a token and host. */
export interface ClientOptions {
  /**
   * A client you created yourself; `token`, `apiHost` and `batching` are then ignored. The
   * integration's `close()` closes it too, so one call on shutdown delivers everything.
   */
  client?: CohorlyClient;
  /**
   * Your Cohorly project token.
   * @default process.env.COHORLY_TOKEN
   */
  token?: string;
  /**
   * Base URL of your Cohorly server.
   * @default process.env.COHORLY_API_HOST, else "http://localhost:4000"
   */
  apiHost?: string;
  /**
   * Batching of the client the integration creates: messages per batch, queue cap and the
   * background flush period.
   * @default { maxSize: 50, maxQueueSize: 1000, flushIntervalMs: 10000 }
   */
  batching?: { maxSize?: number; maxQueueSize?: number; flushIntervalMs?: number };
  /**
   * The `fetch` the client the integration creates sends with (a proxy, a custom CA); pass
   * `globalThis.fetch` to send with the global fetch everywhere. Ignored with `client`.
   * @default in Express and NestJS, `createNodeFetch()` from `@cohorly/server-kit/node`
   * (`node:http`, about half the CPU of the global fetch) on Node.js, and the runtime's global
   * fetch on Bun and Deno (which, unlike their `node:http`, goes through `HTTP_PROXY`); in
   * Next.js, `createNodeFetch()` on its Node.js runtime and `globalThis.fetch` on the edge
   * runtime
   */
  fetch?: FetchLike;
}

/** Every option of {@link ClientOptions}: a key added there must be added here. */
const CLIENT_OPTIONS: Record<keyof ClientOptions, true> = {
  client: true,
  token: true,
  apiHost: true,
  batching: true,
  fetch: true,
};
/**
 * The names of the client options, which every integration takes, for
 * `reportUnknownOptions`.
 */
export const CLIENT_OPTION_NAMES: readonly string[] = Object.keys(CLIENT_OPTIONS);

/** The client an integration tracks with, and whether the integration created it. */
export interface ResolvedClient {
  client: CohorlyClient;
  /** True when the integration created the client (and so must close it). */
  owned: boolean;
  /** Flushes and stops the client within `timeoutMs`, reporting what was delivered. */
  close(options?: CloseOptions): Promise<CloseReport>;
}

/**
 * Returns the client to track with: `options.client`, or a new batching client built from
 * `token`/`apiHost` or the `COHORLY_TOKEN`/`COHORLY_API_HOST` environment variables. Throws
 * at startup, naming the integration, when no token can be found.
 */
export function resolveClient(
  options: ClientOptions,
  integration: string,
  onError: ErrorHandler,
): ResolvedClient {
  if (options.client) {
    if (typeof options.client.track !== 'function') {
      throw new TypeError(
        `${integration}: options.client must be a Cohorly client from @cohorly/core`,
      );
    }
    const client = options.client;
    return { client, owned: false, close: (closeOptions) => client.close(closeOptions) };
  }
  const token = options.token ?? readEnv('COHORLY_TOKEN');
  if (!token) {
    throw new Error(
      `${integration}: no Cohorly project token. Pass { token } (or { client }) in the options, or set the COHORLY_TOKEN environment variable.`,
    );
  }
  checkBatching(options.batching, integration);
  let consumer: BufferedConsumer;
  try {
    consumer = new BufferedConsumer({
      apiHost: options.apiHost ?? readEnv('COHORLY_API_HOST'),
      ...options.batching,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      onError,
    });
  } catch (error) {
    throw namedForIntegration(error, integration);
  }
  const client = new Cohorly(token, { consumer });
  return { client, owned: true, close: (closeOptions) => client.close(closeOptions) };
}

/** The options of `batching`: what the integration passes to its `BufferedConsumer`. */
const BATCHING_KEYS = ['maxSize', 'maxQueueSize', 'flushIntervalMs'];

/** A misspelt key (`flushInterval`, `max_size`) would be ignored without a word. */
function checkBatching(batching: unknown, integration: string): void {
  if (batching === undefined) return;
  if (!isPlainObject(batching)) {
    throw new TypeError(
      `${integration}: batching must be an object such as { maxSize: 100 }, got ${describeValue(batching)}`,
    );
  }
  for (const key of Object.keys(batching)) {
    if (!BATCHING_KEYS.includes(key)) {
      throw new TypeError(
        `${integration}: batching.${key} is not an option; batching takes ${BATCHING_KEYS.join(', ')}`,
      );
    }
  }
}

/**
 * The consumer's own error, named as the user wrote the option: `cohorly(): batching.maxSize
 * …`, not `BufferedConsumer: maxSize …` of an object they never created.
 */
function namedForIntegration(error: unknown, integration: string): unknown {
  if (!(error instanceof TypeError)) return error;
  const match = /^BufferedConsumer: (\w+)(.*)$/s.exec(error.message);
  if (!match) return error;
  const [, option = '', rest = ''] = match;
  const name = BATCHING_KEYS.includes(option) ? `batching.${option}` : option;
  return new TypeError(`${integration}: ${name}${rest}`, { cause: error });
}
