import { notFound, permanentRedirect, redirect } from 'next/navigation.js';
import { expect, it } from 'vitest';
import { describeControlFlow, isNextControlFlowError } from './next-control-flow.js';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

it("recognises the errors Next.js's navigation functions throw", () => {
  expect(isNextControlFlowError(thrownBy(() => redirect('/login')))).toBe(true);
  expect(isNextControlFlowError(thrownBy(() => notFound()))).toBe(true);
  expect(isNextControlFlowError(thrownBy(() => permanentRedirect('/moved')))).toBe(true);
});

it('recognises static-generation bailouts and React postpones by shape', () => {
  expect(isNextControlFlowError({ digest: 'DYNAMIC_SERVER_USAGE' })).toBe(true);
  expect(isNextControlFlowError({ code: 'NEXT_STATIC_GEN_BAILOUT' })).toBe(true);
  expect(isNextControlFlowError({ $$typeof: Symbol.for('react.postpone') })).toBe(true);
});

it('leaves every other error alone', () => {
  expect(isNextControlFlowError(new Error('boom'))).toBe(false);
  // Next.js gives every error thrown while rendering a digest (a hash) of its own.
  expect(
    isNextControlFlowError(Object.assign(new Error('db down'), { digest: '2870853745' })),
  ).toBe(false);
  expect(isNextControlFlowError({ digest: 'NEXT_REDIRECTED_ELSEWHERE' })).toBe(false);
  expect(isNextControlFlowError(new TypeError('bad'))).toBe(false);
  expect(isNextControlFlowError('NEXT_REDIRECT')).toBe(false);
  expect(isNextControlFlowError(undefined)).toBe(false);
  expect(isNextControlFlowError(null)).toBe(false);
});

it('names a control-flow error as the user wrote it, for messages', () => {
  expect(describeControlFlow(thrownBy(() => redirect('/login')))).toBe("Next.js's redirect()");
  expect(describeControlFlow(thrownBy(() => permanentRedirect('/moved')))).toBe(
    "Next.js's redirect()",
  );
  expect(describeControlFlow(thrownBy(() => notFound()))).toBe("Next.js's notFound()");
  // What forbidden() and unauthorized() throw (behind an experimental flag in Next.js 15-16).
  expect(describeControlFlow({ digest: 'NEXT_HTTP_ERROR_FALLBACK;403' })).toBe(
    "Next.js's forbidden()",
  );
  expect(describeControlFlow({ digest: 'NEXT_HTTP_ERROR_FALLBACK;401' })).toBe(
    "Next.js's unauthorized()",
  );
  expect(describeControlFlow({ digest: 'DYNAMIC_SERVER_USAGE' })).toBe(
    'a Next.js control-flow error',
  );
  expect(describeControlFlow({ digest: 'NEXT_HTTP_ERROR_FALLBACK;418' })).toBe(
    'a Next.js control-flow error',
  );
});
