/** Keeps a serverless function alive until `promise` settles, after the response is sent. */
export type WaitUntil = (promise: Promise<unknown>) => void;

// Where Vercel publishes the current invocation's `waitUntil` (what `@vercel/functions` reads).
const VERCEL_REQUEST_CONTEXT = Symbol.for('@vercel/request-context');

/** The platform's `waitUntil` for the current invocation, when the platform offers one. */
export function platformWaitUntil(): WaitUntil | undefined {
  const holder = globalThis as {
    [VERCEL_REQUEST_CONTEXT]?: { get?: () => { waitUntil?: WaitUntil } | undefined };
  };
  try {
    const waitUntil = holder[VERCEL_REQUEST_CONTEXT]?.get?.()?.waitUntil;
    return typeof waitUntil === 'function' ? waitUntil : undefined;
  } catch {
    // A platform context that cannot answer is the same as no platform context.
    return undefined;
  }
}
