import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadExampleApp, shopAnalytics } from './example-app.js';

/**
 * The shop that `instructions.ts` runs under callgrind: `node instructions-app.js
 * <cohorly|raw|none> <sink url>`. It prints its port, serves until stdin ends, then closes its
 * middleware (delivering every event) and exits.
 */
async function main(): Promise<void> {
  const [variant, sinkUrl] = process.argv.slice(2);
  const example = await loadExampleApp();
  // Flush 'none': batches of 50, as under real load. Under callgrind the app is ~50x
  // slower, so the default coalesced flush would fire every few requests and send batches
  // far smaller than the ones a running server sends.
  const analytics = shopAnalytics(example, variant!, sinkUrl!, 'none');
  const app = example.createApp({ analytics, exportRowDelayMs: 0 });
  const server = createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
  process.stdin.resume();
  await once(process.stdin, 'end');
  const report = await analytics?.close({ timeoutMs: 60_000 });
  if (report && report.undelivered > 0) process.exitCode = 1;
  server.close();
  server.closeAllConnections();
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
