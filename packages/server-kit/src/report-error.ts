import { messageOf } from './describe-value.js';

/** Receives every analytics failure of an integration. It must not throw. */
export type ErrorHandler = (error: unknown) => void;

/** The default `onError`: one warning line, never a stack trace in the host app's logs. */
export const warnOnError: ErrorHandler = (error) => {
  const message = messageOf(error);
  console.warn(`[cohorly] ${message}`);
};

/** Calls `onError`, shielding the caller from a handler that throws or whose promise rejects. */
export function reportError(onError: ErrorHandler, error: unknown): void {
  try {
    const returned: unknown = onError(error);
    // An async handler that fails must not become an unhandled rejection, which would end a
    // Node process.
    if (returned instanceof Promise) returned.catch(() => undefined);
  } catch {
    // An error handler that throws must not break the request that tracked.
  }
}
