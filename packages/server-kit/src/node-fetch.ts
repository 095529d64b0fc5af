import http from 'node:http';
import https from 'node:https';
import type { ClientOptions } from './resolve-client.js';

/** Options of {@link createNodeFetch}. */
export interface NodeFetchOptions {
  /**
   * The agent for `http:` URLs. Pass your own for a proxy or a connection limit.
   * @default a keep-alive `http.Agent` owned by this fetch, closing idle sockets after 4 s
   */
  httpAgent?: http.Agent;
  /**
   * The agent for `https:` URLs (custom CA, client certificates, proxy).
   * @default a keep-alive `https.Agent` owned by this fetch, closing idle sockets after 4 s
   */
  httpsAgent?: https.Agent;
}

/** The `fetch` signature `@cohorly/core` sends with. */
export type NodeFetch = (input: string, init?: RequestInit) => Promise<Response>;

/** How long an idle keep-alive socket is kept, when the server gives no shorter hint. */
const IDLE_MS = 4_000;

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
 * or `Headers` headers, and an `AbortSignal`. Idle keep-alive sockets never hold the process
 * open (Node unrefs them).
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
  const httpAgent = options.httpAgent ?? new http.Agent({ keepAlive: true, timeout: IDLE_MS });
  const httpsAgent = options.httpsAgent ?? new https.Agent({ keepAlive: true, timeout: IDLE_MS });
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
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
      const request = (secure ? https : http).request(url, {
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
      request.once('error', (error) => {
        done();
        reject(error);
      });
      request.once('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('error', (error) => {
          done();
          reject(error);
        });
        response.once('end', () => {
          done();
          // A throw here would be an uncaught exception (it runs in an event handler): reject.
          try {
            resolve(toResponse(response, chunks));
          } catch (error) {
            reject(error);
          }
        });
      });
      writeBody(request, body);
    });
}

// RFC 9110's reason-phrase; `Response` throws on anything else, and Node's parser lets
// control characters through.
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The web `Response` for a Node response whose body has been read in full. */
function toResponse(response: http.IncomingMessage, chunks: Buffer[]): Response {
  const status = response.statusCode ?? 0;
  if (status < 200 || status > 599) {
    throw new Error(`createNodeFetch: unexpected HTTP status ${status}`);
  }
  const reason = response.statusMessage ?? '';
  // Response refuses a body with these statuses.
  const empty = status === 204 || status === 205 || status === 304;
  // Buffer.concat returns a view of an ArrayBuffer (pooled or not), never of a shared one.
  const body = empty ? null : (Buffer.concat(chunks) as Uint8Array<ArrayBuffer>);
  return new Response(body, {
    status,
    // An invalid one is left out rather than failing an answer the server did give.
    statusText: REASON_PHRASE.test(reason) ? reason : '',
    headers: responseHeaders(response.headers),
  });
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
  // Headers lowercases the names and accepts every form RequestInit allows.
  if (headers) {
    new Headers(headers).forEach((value, name) => {
      out[name] = value;
    });
  }
  return out;
}

function responseHeaders(headers: http.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) out.append(name, item);
  }
  return out;
}

/**
 * `options` with `fetch: createNodeFetch()` when they bring neither a `client` nor a `fetch`:
 * the transport of the client a Node integration (Express, NestJS) creates, at about half the
 * CPU per event of the global fetch.
 */
export function withNodeFetch<Options extends ClientOptions>(options: Options): Options {
  return options.client || options.fetch ? options : { ...options, fetch: createNodeFetch() };
}
