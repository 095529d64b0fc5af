import { processState } from './process-state.js';

/** What Next.js sets `NEXT_PHASE` to in `next build` and the workers that prerender pages. */
const PRODUCTION_BUILD = 'phase-production-build';

/**
 * Reports, once per process, a message tracked with a request scope during `next build`. A
 * page with `dynamic = 'force-static'` is rendered there, once, with empty `headers()` and
 * `cookies()` (they do not throw, so the page never becomes dynamic): the visitors of the page
 * built are never tracked, and without this the only sign is a "no distinct id" or "no token"
 * line in the build log. A dynamic page never gets here: its `headers()` throws Next.js's
 * "this page is dynamic" signal during the build instead.
 */
export function reportStaticPrerender(what: string, report: (error: unknown) => void): void {
  let building: boolean;
  try {
    building = process.env.NEXT_PHASE === PRODUCTION_BUILD;
  } catch {
    // No `process` at all (an edge runtime without Next.js's replacement): not a build.
    return;
  }
  if (!building) return;
  const state = processState();
  if (state.staticPrerenderReported) return;
  state.staticPrerenderReported = true;
  report(
    new Error(
      `trackServer() ran while prerendering a static page: its visitors will not be tracked (${what} ran once, in next build, with no visitor). Track in a dynamic page (remove dynamic = 'force-static'), a route handler or a server action; said once`,
    ),
  );
}
