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
    typeof shape.digest === 'string' ||
    shape.code === 'NEXT_STATIC_GEN_BAILOUT' ||
    shape.$$typeof === Symbol.for('react.postpone')
  );
}
