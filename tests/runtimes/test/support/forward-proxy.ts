import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

/**
 * No proxy and no Node options from the environment the tests run in, for a child's `env`:
 * each test decides whether its child has a proxy.
 */
export const NO_PROXY_ENV: Readonly<Record<string, string>> = {
  NODE_USE_ENV_PROXY: '',
  NODE_OPTIONS: '',
  HTTP_PROXY: '',
  http_proxy: '',
  HTTPS_PROXY: '',
  https_proxy: '',
  NO_PROXY: '',
  no_proxy: '',
};

/** A forward proxy started by {@link startForwardProxy}. */
export interface ForwardProxy {
  /** Its URL, for `HTTP_PROXY`: `http://127.0.0.1:<port>`. */
  url: string;
  /** Each request line it received (a proxied request names the whole URL), oldest first. */
  seen: string[];
}

/**
 * A forward proxy for `http:` URLs on 127.0.0.1, stopped when the test ends: it records each
 * request line and passes the request on, to the URL it names, or with `to` (an origin) to
 * that origin whatever host it names, as an egress proxy reaches a host the app cannot
 * resolve. CONNECT (for `https:`) is refused: nothing here goes to an `https:` URL.
 */
export async function startForwardProxy(options: { to?: string } = {}): Promise<ForwardProxy> {
  const seen: string[] = [];
  const proxy = http.createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    const target = new URL(request.url!);
    const upstream = http.request(
      options.to === undefined ? target : new URL(`${target.pathname}${target.search}`, options.to),
      { method: request.method, headers: request.headers, agent: false },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  proxy.on('connect', (request, socket) => {
    seen.push(`CONNECT ${request.url}`);
    socket.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        proxy.closeAllConnections();
      }),
  );
  const { port } = proxy.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen };
}
