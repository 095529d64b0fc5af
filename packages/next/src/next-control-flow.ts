/**
 * True for the errors Next.js throws to steer rendering: `redirect()`, `notFound()`,
 * `forbidden()`, `unauthorized()`, a dynamic API used during static generation, an aborted
 * prerender, `dynamic = "error"`, React's postpone. They must reach Next.js untouched, so
 * nothing in this package ever catches one without rethrowing it.
 *
 * They are recognised by shape, as Next.js itself does (`error.digest`), rather than with
 * `unstable_rethrow`, whose import would pull client navigation code into edge bundles.
 */
export function isNextControlFlowError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const shape = error as { digest?: unknown; code?: unknown; $$typeof?: unknown };
  return (
    (typeof shape.digest === 'string' && CONTROL_FLOW_CODES.has(shape.digest.split(';', 1)[0]!)) ||
    shape.code === 'NEXT_STATIC_GEN_BAILOUT' ||
    shape.$$typeof === Symbol.for('react.postpone')
  );
}

/**
 * The first `;`-separated part of the `digest` of each error `unstable_rethrow` rethrows
 * (Next.js 15 and 16). Not any string `digest`: Next.js also gives one to every ordinary
 * error thrown while rendering, and a database failure in `getDistinctId` must go to
 * `onError`, not escape as if it were a redirect.
 */
const CONTROL_FLOW_CODES = new Set([
  'NEXT_REDIRECT',
  'NEXT_HTTP_ERROR_FALLBACK',
  'NEXT_NOT_FOUND',
  'BAILOUT_TO_CLIENT_SIDE_RENDERING',
  'DYNAMIC_SERVER_USAGE',
  'HANGING_PROMISE_REJECTION',
  'NEXT_PRERENDER_INTERRUPTED',
]);

/** The Next.js functions whose errors carry `NEXT_HTTP_ERROR_FALLBACK;<status>`. */
const HTTP_FALLBACKS: Record<string, string> = {
  '401': 'unauthorized()',
  '403': 'forbidden()',
  '404': 'notFound()',
};

/**
 * A Next.js control-flow error named as the user wrote it, for messages: "Next.js's
 * redirect()" (`notFound()`, `forbidden()`, `unauthorized()`), else "a Next.js control-flow
 * error".
 */
export function describeControlFlow(error: unknown): string {
  const digest = (error as { digest?: unknown } | null)?.digest;
  const [code, status = ''] = typeof digest === 'string' ? digest.split(';', 2) : [];
  const name =
    code === 'NEXT_REDIRECT'
      ? 'redirect()'
      : code === 'NEXT_NOT_FOUND'
        ? 'notFound()'
        : code === 'NEXT_HTTP_ERROR_FALLBACK'
          ? HTTP_FALLBACKS[status]
          : undefined;
  return name ? `Next.js's ${name}` : 'a Next.js control-flow error';
}
