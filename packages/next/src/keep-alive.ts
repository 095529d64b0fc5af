import { after } from 'next/server.js';
import { isNextControlFlowError } from './next-control-flow.js';
import { platformWaitUntil, type WaitUntil } from './platform-wait-until.js';

/**
 * Hands `work` to something that keeps the function alive past the response: Next.js's
 * `after()` inside a request scope (it runs once the response is sent, and `next start`
 * waits for it on SIGTERM), else `waitUntil` (the one given, or the platform's). Returns
 * false when neither is available: the caller must await the work itself.
 */
export function keepAlive(work: () => Promise<void>, waitUntil: WaitUntil | undefined): boolean {
  try {
    after(work);
    return true;
  } catch (error) {
    // Outside a request scope after() throws; anything that steers Next.js passes through.
    if (isNextControlFlowError(error)) throw error;
  }
  const platform = waitUntil ?? platformWaitUntil();
  if (!platform) return false;
  try {
    platform(work());
    return true;
  } catch {
    // A waitUntil that refuses (no current invocation) leaves the caller to await.
    return false;
  }
}
