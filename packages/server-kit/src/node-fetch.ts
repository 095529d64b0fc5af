import type http from 'node:http';
import type https from 'node:https';
import { createRequire } from 'node:module';
import { isTimerMs, MAX_TIMER_MS } from '@cohorly/core';
import { NodeFetchResponse } from './node-fetch-response.js';
import type { ClientOptions } from './resolve-client.js';
import { onBunOrDeno } from './bun-or-deno.js';

/**
 * A Node builtin, loaded without an `import`: on Node 22 and later, importing `node:http` or
 * `node:https` from an ES module builds its namespace by reading every export, lazy getters
 * included (`http.WebSocket`, ...), and that loads undici at startup (45-65 ms of CPU, over
 * 10 MB of memory) in an app that never uses it. `process.getBuiltinModule` (Node 20.16+)
 * hands over the module itself; older Node 20 releases, which have no such getters, load it
 * with a `require` (anchored at the node binary: a builtin resolves from anywhere).
 */
function builtin(id: string): unknown {
  if (typeof process.getBuiltinModule === 'function') return process.getBuiltinModule(id);
  return createRequire(process.execPath)(id);
}

const nodeHttp = builtin('node:http') as typeof http;
const nodeHttps = builtin('node:https') as typeof https;

/**
 * Agent options with `proxyEnv` (Node 22.21+ and 24.5+), which the Node 20 types lack; Node
 * releases without it ignore it.
 */
type EnvProxyAgentOptions = http.AgentOptions & { proxyEnv?: NodeJS.ProcessEnv };

const USE_ENV_PROXY_FLAG = '--use-env-proxy';

/**
 * True when Node is told to send its own HTTP requests through the proxy of the environment:
 * `NODE_USE_ENV_PROXY=1`, or `--use-env-proxy` on the command line or in `NODE_OPTIONS`
 * (which `process.execArgv` does not list).
 */
function usesEnvProxy(): boolean {
  return (
    readEnvIfAllowed('NODE_USE_ENV_PROXY') === '1' ||
    process.execArgv.includes(USE_ENV_PROXY_FLAG) ||
    (readEnvIfAllowed('NODE_OPTIONS') ?? '').split(/\s+/).includes(USE_ENV_PROXY_FLAG)
  );
}

/**
 * An environment variable, or `undefined` when reading it throws: Deno run with a narrow
 * `--allow-env` (`--allow-env=COHORLY_TOKEN`) throws `NotCapable` for any other name, and a
 * setting the app may not read is one it did not make.
 */
function readEnvIfAllowed(name: string): string | undefined {
  try {
    return process.env[name];
  } catch {
    return undefined;
  }
}

/** Options of {@link createNodeFetch}. */
export interface NodeFetchOptions {
  /**
   * The agent for `http:` URLs. Pass your own for a proxy or a connection limit; give it
   * `keepAlive: true` and a `timeout` (4000, say), or its idle sockets stay open until the
   * server closes them.
   * @default a keep-alive `http.Agent` owned by this fetch, closing idle sockets after
   * `idleTimeoutMs`, and going through `HTTP_PROXY` (minus `NO_PROXY`) when Node is run with
   * `NODE_USE_ENV_PROXY=1` or `--use-env-proxy` (Node 22.21+, 24.5+), as Node's own agents do
   */
  httpAgent?: http.Agent;
  /**
   * The agent for `https:` URLs (custom CA, client certificates, proxy); as for `httpAgent`,
   * give it `keepAlive: true` and a `timeout`.
   * @default a keep-alive `https.Agent` owned by this fetch, closing idle sockets after
   * `idleTimeoutMs`, and going through `HTTPS_PROXY` (minus `NO_PROXY`) when Node is run
   * with `NODE_USE_ENV_PROXY=1` or `--use-env-proxy` (Node 22.21+, 24.5+)
   */
  httpsAgent?: https.Agent;
  /**
   * How long the default agents keep an idle connection open for the next batch, when the
   * server's `Keep-Alive: timeout` does not say sooner. Lower it behind a proxy or NAT that
   * drops idle connections sooner without a word. From 1 to 2147483647. Ignored for an agent
   * you pass.
   * @default 4000 (undici's default)
   */
  idleTimeoutMs?: number;
}

/** The `fetch` signature `@cohorly/core` sends with, resolving with a {@link NodeFetchResponse}. */
export type NodeFetch = (input: string, init?: RequestInit) => Promise<NodeFetchResponse>;

/**
 * The most of an answer's body that is read: a Cohorly consumer reads the status and the
 * headers, and quotes at most a few hundred characters of an error's body.
 */
const MAX_BODY_BYTES = 64 * 1024;

/** How long an idle keep-alive socket is kept, when the server gives no shorter hint. */
const DEFAULT_IDLE_MS = 4_000;

/**
 * A `fetch` for `@cohorly/core` on Node.js, written on `node:http` and `node:https` with
 * keep-alive agents.
 *
 * Why: Node's global `fetch` (undici) encodes each body, copies it into a byte stream and
 * leaves both copies to the garbage collector. For Cohorly's batches (up to 500 events, about
 * 160 KB) that is most of the SDK's CPU and memory per event; writing the body string
 * straight to the socket halves it (measured in `bench/`). The core keeps to web-standard
 * APIs so that it runs on edge runtimes; this is the Node-only transport the Node
 * integrations plug into it.
 *
 * It covers what a Cohorly consumer sends: any method, string or byte bodies, plain-object
 * or `Headers` headers, and an `AbortSignal`. It resolves with a {@link NodeFetchResponse}
 * (status, headers, text), not a web `Response`, so that sending never loads undici. It
 * reads at most the first 64 KiB of an answer's body: past that it resolves with them and
 * closes the connection, so a huge or endless answer costs neither memory nor CPU (a
 * consumer reads the status, the headers and a few hundred characters of an error). Idle
 * keep-alive sockets never hold the process open (Node unrefs them).
 *
 * @example
 * ```ts
 * import { BufferedConsumer, Cohorly } from '@cohorly/core';
 * import { createNodeFetch } from '@cohorly/server-kit/node';
 *
 * const consumer = new BufferedConsumer({ fetch: createNodeFetch() });
 * const cohorly = new Cohorly(process.env.COHORLY_TOKEN!, { consumer });
 * ```
 */
export function createNodeFetch(options: NodeFetchOptions = {}): NodeFetch {
  // Idle sockets close after 4 s (undici's default) unless the server's `Keep-Alive: timeout`
  // says sooner: a proxy that drops idle connections silently (no hint) would otherwise make
  // the next batch fail on a dead socket, and wait out a backoff.
  const timeout = options.idleTimeoutMs ?? DEFAULT_IDLE_MS;
  // 0 would close every socket as soon as it is idle; past MAX_TIMER_MS, after 1 ms.
  if (!(isTimerMs(timeout) && timeout > 0)) {
    throw new TypeError(
      `createNodeFetch: idleTimeoutMs must be a number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${String(timeout)}`,
    );
  }
  const agentOptions: EnvProxyAgentOptions = { keepAlive: true, timeout };
  // Node's own agents (and the global fetch) then go through HTTP_PROXY / HTTPS_PROXY, minus
  // NO_PROXY: Cohorly's batches must too, or where only the proxy reaches out, every one fails.
  if (usesEnvProxy()) agentOptions.proxyEnv = process.env;
  const httpAgent = options.httpAgent ?? new nodeHttp.Agent(agentOptions);
  const httpsAgent = options.httpsAgent ?? new nodeHttps.Agent(agentOptions);
  return (input, init = {}) =>
    new Promise<NodeFetchResponse>((resolve, reject) => {
      // Everything runs in the executor, so a bad URL, body or header rejects the promise, as
      // it does with fetch, instead of throwing at the call.
      const url = new URL(input);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new TypeError(`createNodeFetch: unsupported protocol ${url.protocol}`);
      }
      const body = requestBody(init.body);
      const headers = requestHeaders(init.headers);
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const signal = init.signal ?? undefined;
      if (signal?.aborted) throw signal.reason;
      const secure = url.protocol === 'https:';
      const request = (secure ? nodeHttps : nodeHttp).request(url, {
        method: init.method ?? 'GET',
        headers,
        agent: secure ? httpsAgent : httpAgent,
      });
      const onAbort = () => {
        // As fetch does, reject with the signal's reason, whatever it is (the request's own
        // 'error' that follows the destroy comes too late to matter).
        reject(signal?.reason);
        request.destroy();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      let answer: http.IncomingMessage | undefined;
      request.once('error', (error) => {
        // An answer read in full stands, as with fetch: bytes after it (a Content-Length one
        // short, say) make Node's parser fail the request before the answer's 'end' runs,
        // which would count a delivered batch as a network error and send it again.
        if (answer?.complete) return;
        done();
        reject(error);
      });
      request.once('response', (response) => {
        answer = response;
        const chunks: Buffer[] = [];
        let kept = 0;
        let cut = false;
        const answerWith = () => {
          done();
          // A throw here would be an uncaught exception (it runs in an event handler): reject.
          try {
            resolve(toResponse(response, chunks));
          } catch (error) {
            reject(error);
          }
        };
        response.on('data', (chunk: Buffer) => {
          if (cut) return;
          if (kept + chunk.length <= MAX_BODY_BYTES) {
            chunks.push(chunk);
            kept += chunk.length;
            return;
          }
          // A huge or endless answer would be held in memory in full, and block the event loop
          // in the copy that joins it: what a consumer reads (the status, the headers, a few
          // hundred characters of an error) has arrived. The connection is closed, never
          // handed back to the agent with the rest of the answer still coming.
          chunks.push(chunk.subarray(0, MAX_BODY_BYTES - kept));
          cut = true;
          answerWith();
          response.destroy();
        });
        // `on`, not `once`: destroying a cut answer may be followed by the socket's own error.
        response.on('error', (error) => {
          done();
          reject(error);
        });
        response.once('end', answerWith);
      });
      writeBody(request, body);
    });
}

/** The answer of a Node response whose body has been read, in full or up to its cap. */
function toResponse(response: http.IncomingMessage, chunks: Buffer[]): NodeFetchResponse {
  const status = response.statusCode ?? 0;
  // As fetch does: an informational status is never the answer, and a status over 599 is no
  // HTTP status.
  if (status < 200 || status > 599) {
    throw new Error(`createNodeFetch: unexpected HTTP status ${status}`);
  }
  // These statuses have no body, whatever the server wrote.
  const empty = status === 204 || status === 205 || status === 304;
  const body = empty ? Buffer.alloc(0) : Buffer.concat(chunks);
  return new NodeFetchResponse(status, response.statusMessage ?? '', response.headers, body);
}

/**
 * Node encodes a string written to a socket into a temporary native buffer of its full size.
 * Above glibc's mmap threshold each such buffer is fresh memory, and on some VMs the first
 * touch of every page is expensive: writing a batch in pieces small enough to reuse the heap
 * halved this transport's CPU per event (measured in `bench/`).
 */
const WRITE_CHARS = 16 * 1024;

function writeBody(request: http.ClientRequest, body: string | Uint8Array | undefined): void {
  if (typeof body !== 'string' || body.length <= WRITE_CHARS) {
    request.end(body);
    return;
  }
  let at = 0;
  while (body.length - at > WRITE_CHARS) {
    let end = at + WRITE_CHARS;
    // Never split a surrogate pair: each half alone would be encoded as U+FFFD.
    const last = body.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end -= 1;
    request.write(body.slice(at, end));
    at = end;
  }
  request.end(body.slice(at));
}

function requestBody(body: RequestInit['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  throw new TypeError('createNodeFetch: the body must be a string or a Uint8Array');
}

function requestHeaders(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  const proto = Object.getPrototypeOf(headers);
  if (proto === Object.prototype || proto === null) {
    // The plain object a Cohorly consumer sends, read without `Headers`: the global one is
    // undici's, and the first use loads all of it. `http.request` checks names and values.
    for (const [name, value] of Object.entries(headers as Record<string, string>)) {
      out[name.toLowerCase()] = String(value).trim();
    }
    return out;
  }
  // `Headers` and [name, value] pairs: Headers lowercases the names and accepts every form.
  new Headers(headers).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

/**
 * `options` with `fetch: createNodeFetch()` when they bring neither a `client` nor a `fetch`
 * and the app runs on Node.js: the transport of the client a Node integration (Express,
 * NestJS) creates, at about half the CPU per event of the global fetch. On Bun and Deno the
 * options are returned unchanged, so the client sends with the runtime's global `fetch`.
 */
export function withNodeFetch<Options extends ClientOptions>(options: Options): Options {
  // Options that are no object are passed on as they are, for the integration's own check
  // to name the problem.
  if (typeof options !== 'object' || options === null) return options;
  if (options.client || options.fetch || onBunOrDeno()) return options;
  return { ...options, fetch: createNodeFetch() };
}
