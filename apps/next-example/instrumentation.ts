import { createCohorlyServer } from '@cohorly/next';
import { currentUserId } from './lib/current-user';

/**
 * Runs once per server process (and once per edge isolate) before any request. The server
 * created here is the one `trackServer` uses everywhere: its client is kept on globalThis.
 */
export async function register() {
  createCohorlyServer({
    // Identity: an explicit { distinctId } wins, then the signed-in user, then the
    // anonymous-id cookie (cohorly_anonymous_id, set by your front end).
    getDistinctId: currentUserId,
    onError: (error) => {
      console.error(`[cohorly] ${error instanceof Error ? error.message : String(error)}`);
    },
  });
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { registerNode } = await import('./instrumentation-node');
    registerNode();
  }
}
