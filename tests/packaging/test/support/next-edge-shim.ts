import type { Plugin } from 'esbuild';

/**
 * The global through which the test's request emulation (see {@link REQUEST_EMULATION}) tells
 * the shim which request is being handled.
 */
const SCOPE = "Symbol.for('cohorly.test.next-request-scope')";

// `next/headers` on the edge: `headers()` resolves to the request's web-standard `Headers`;
// `cookies()` reads its Cookie header (Next.js uses @edge-runtime/cookies' RequestCookies, whose
// `getAll()` and `get()` are all @cohorly/next calls). As in Next.js, each returns the same
// promise for the whole request (@cohorly/next keys its one flush per request on it), and
// both throw outside a request.
const NEXT_HEADERS = `
function scope(api) {
  const current = globalThis[${SCOPE}];
  if (!current) throw new Error('\`' + api + '\` was called outside a request scope.');
  return current;
}
export function headers() {
  const current = scope('headers');
  current.headersPromise ??= Promise.resolve(current.headers);
  return current.headersPromise;
}
export function cookies() {
  const current = scope('cookies');
  const header = current.headers.get('cookie') || '';
  const list = header.split(';').map((part) => part.trim()).filter(Boolean).map((part) => {
    const at = part.indexOf('=');
    return { name: part.slice(0, at), value: decodeURIComponent(part.slice(at + 1)) };
  });
  current.cookiesPromise ??= Promise.resolve({
    getAll: () => list,
    get: (name) => list.find((cookie) => cookie.name === name),
  });
  return current.cookiesPromise;
}
`;

// `next/server`'s `after()` on the edge: queues work to run once the response is sent (Next.js
// hands it to the isolate's waitUntil). Outside a request it throws, as Next.js's does.
const NEXT_SERVER = `
export function after(task) {
  const current = globalThis[${SCOPE}];
  if (!current) throw new Error('\`after\` was called outside a request scope.');
  current.afterTasks.push(task);
}
`;

/** The `next/*` modules @cohorly/next imports, and what stands in for each. */
export const NEXT_SHIMS: Record<string, string> = {
  'next/headers.js': NEXT_HEADERS,
  'next/server.js': NEXT_SERVER,
};

/**
 * An esbuild plugin resolving `next/*` to {@link NEXT_SHIMS}. Any other `next/*` import fails
 * the build: the edge path must not grow a dependency on more of Next.js unnoticed.
 */
export const nextEdgeShim: Plugin = {
  name: 'next-edge-shim',
  setup(build) {
    build.onResolve({ filter: /^next(\/|$)/ }, (args) => {
      if (!(args.path in NEXT_SHIMS)) {
        return {
          errors: [{ text: `no edge shim for ${args.path} (imported by ${args.importer})` }],
        };
      }
      return { path: args.path, namespace: 'next-edge-shim' };
    });
    build.onLoad({ filter: /.*/, namespace: 'next-edge-shim' }, (args) => ({
      contents: NEXT_SHIMS[args.path],
      loader: 'js',
    }));
  },
};

/**
 * Evaluated in the edge VM: `handleRequest(headers, handler)` plays Next.js's part for an edge
 * route handler. It makes `headers` the current request while `handler` runs synchronously
 * (Next.js uses AsyncLocalStorage; @cohorly/next reads the request synchronously, where
 * trackServer is called), then, once the handler's response is ready, runs what `after()`
 * queued, as Next.js's waitUntil does after sending the response.
 */
export const REQUEST_EMULATION = `
globalThis.handleRequest = async (headersInit, handler) => {
  const scope = { headers: new Headers(headersInit), afterTasks: [] };
  globalThis[${SCOPE}] = scope;
  let pending;
  try {
    pending = handler();
  } finally {
    globalThis[${SCOPE}] = undefined;
  }
  const response = await pending;
  const body = await response.text();
  for (const task of scope.afterTasks) await (typeof task === 'function' ? task() : task);
  return { status: response.status, body, afterTasks: scope.afterTasks.length };
};
`;
