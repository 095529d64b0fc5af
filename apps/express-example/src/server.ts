import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAnalytics } from './analytics.js';
import { createApp } from './app.js';
import { readConfig } from './config.js';

// Analytics must never cause one; if anything does, it is logged, not fatal.
process.on('unhandledRejection', (reason) => {
  console.error('unhandledRejection:', reason);
});

const config = readConfig(process.env);

// COHORLY_TOKEN and COHORLY_API_HOST come from the environment; without a token this throws
// at startup, saying how to set one.
const analytics = createAnalytics({ flush: config.flush });

const server = createServer(createApp({ analytics, exportRowDelayMs: config.exportRowDelayMs }));

server.listen(config.port, config.host, () => {
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  // Tests and scripts read this line to find the port chosen with PORT=0.
  console.log(`listening on http://${host}:${port}`);
});

let stopping = false;

// Keep-alive connections would hold `server.close()` open until they time out: once shutdown
// has begun, answer with `Connection: close`, and drop each connection as it falls idle.
// Before the app's own listener: a route that answers at once has sent its headers by the
// time a later listener runs, and setting one then throws.
server.prependListener('request', (_req, res) => {
  if (stopping) res.setHeader('connection', 'close');
  res.once('close', () => {
    if (stopping) server.closeIdleConnections();
  });
});

/**
 * Graceful shutdown: stop accepting connections, let requests in progress finish (cut off
 * after the grace period), then deliver every tracked event before exiting.
 */
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const cutOff = setTimeout(() => server.closeAllConnections(), config.shutdownGraceMs);
  await closed;
  clearTimeout(cutOff);
  const report = await analytics.close({ timeoutMs: config.analyticsCloseTimeoutMs });
  console.log(
    `cohorly: ${report.sent} messages delivered, ${report.undelivered} undelivered` +
      (report.drained ? '' : ' (the Cohorly server could not be reached in time)'),
  );
  process.exit(0);
}

process.once('SIGTERM', (signal) => void shutdown(signal));
process.once('SIGINT', (signal) => void shutdown(signal));
