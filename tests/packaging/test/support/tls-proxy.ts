import { request } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Certificate } from './self-signed-certificate.js';

/** An HTTPS endpoint on 127.0.0.1 passing every request on to an HTTP server. */
export interface TlsProxy {
  /** `https://127.0.0.1:PORT`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Terminates TLS with `certificate` and forwards to `upstream` (a `@cohorly/testing` server),
 * as a load balancer in front of a Cohorly server does.
 */
export async function startTlsProxy(certificate: Certificate, upstream: string): Promise<TlsProxy> {
  const server = createServer(certificate, (incoming, outgoing) => {
    const forwarded = request(
      new URL(incoming.url ?? '/', upstream),
      { method: incoming.method, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
