import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server listening on 127.0.0.1, on a free port. */
export interface Served {
  /** Its base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** Stops listening and ends the connections still open; resolves once closed. */
  close(): Promise<void>;
}

/** Serves `listener` (an Express app, a Node request handler) on 127.0.0.1, port 0. */
export async function serve(listener: RequestListener): Promise<Served> {
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}
