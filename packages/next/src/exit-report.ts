import type { CohorlyClient } from '@cohorly/core';
import { reportError } from '@cohorly/server-kit';
import { processState } from './process-state.js';

/**
 * On Next.js's Node.js runtime, arranges for each shared client still holding messages when
 * the process exits to tell its `onError`: "3 messages were not delivered before the process
 * exited". `next start` waits for `after()` work on SIGTERM, but a delivery gives up after
 * `flushTimeoutMs`, and without this what it had queued would vanish unreported. Registered
 * once per process (the flag is on `globalThis`, so hot reloads and every bundle share it);
 * an `exit` listener keeps nothing alive. Elsewhere (the edge runtime, no Next.js) it does
 * nothing.
 */
export function reportLossAtExit(): void {
  try {
    // Keep this condition literal (see default-fetch.ts): Next.js replaces it when it
    // bundles, so the edge bundle, which has no `process.once`, drops the branch.
    if (process.env.NEXT_RUNTIME === 'nodejs') {
      const state = processState();
      if (state.exitReport) return;
      state.exitReport = true;
      process.once('exit', reportUndelivered);
    }
  } catch {
    // No `process` at all: nothing to listen to.
  }
}

/** The `exit` listener: synchronous, as the process is ending; it never throws. */
function reportUndelivered(): void {
  try {
    for (const shared of processState().clients.values()) {
      const undelivered = undeliveredOf(shared.client);
      if (undelivered === 0) continue;
      const count = undelivered === 1 ? '1 message was' : `${undelivered} messages were`;
      reportError(shared.onError, new Error(`${count} not delivered before the process exited`));
    }
  } catch {
    // A throw from an exit listener prints a stack trace into the app's logs as it ends.
  }
}

/**
 * What the client holds, buffered or on the wire, read synchronously from its consumer's
 * `stats()` (the `BufferedConsumer` the package creates has one); 0 for a consumer that
 * cannot tell.
 */
function undeliveredOf(client: CohorlyClient): number {
  const consumer = client.consumer as {
    stats?: () => { queued?: Record<string, number> };
  };
  if (typeof consumer.stats !== 'function') return 0;
  const queued = consumer.stats().queued ?? {};
  return Object.values(queued).reduce((sum, count) => sum + count, 0);
}
