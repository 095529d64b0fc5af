import { startTestServer, type TestServer } from '@cohorly/testing';
import { EdgeRuntime } from 'edge-runtime';
import { build } from 'esbuild';
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { NEXT_SHIMS, nextEdgeShim, REQUEST_EMULATION } from './support/next-edge-shim.js';
import { PACKAGE_DIR } from './support/workspace.js';

// @cohorly/next's edge path, run where edge code runs: what an edge route imports
// (`@cohorly/next` through the `import` condition, with @cohorly/server-kit and @cohorly/core)
// bundled by esbuild for the edge, then evaluated in the `edge-runtime` VM (Vercel's edge
// runtime: web-standard globals only, no require, no process, no node: modules). `next/*`,
// the app's own Next.js, is replaced by the web-standard pieces Next.js provides there (see
// support/next-edge-shim.ts): `headers()`, `cookies()` and `after()`.

let bundle: string;
let inputs: string[];
let server: TestServer;

beforeAll(async () => {
  const result = await build({
    stdin: {
      contents: `export { createCohorlyServer, trackServer } from '@cohorly/next';`,
      resolveDir: PACKAGE_DIR,
      loader: 'js',
    },
    bundle: true,
    write: false,
    metafile: true,
    format: 'iife',
    globalName: 'cohorlyNext',
    target: 'es2022',
    platform: 'neutral',
    // The conditions Next.js's edge compiler resolves packages with.
    conditions: ['edge-light', 'worker', 'browser', 'import', 'module', 'default'],
    mainFields: ['module', 'main'],
    // As Next.js's edge compiler does: this drops the import of @cohorly/next's Node.js-only
    // transport (@cohorly/server-kit/node), guarded by `NEXT_RUNTIME === 'nodejs'`.
    define: { 'process.env.NEXT_RUNTIME': '"edge"' },
    plugins: [nextEdgeShim],
    logLevel: 'silent',
  });
  bundle = result.outputFiles[0]!.text;
  inputs = Object.keys(result.metafile.inputs);
});

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  await server.close();
});

/** A fresh edge VM with the bundle and the request emulation loaded. */
function edgeRuntime(): EdgeRuntime {
  const runtime = new EdgeRuntime();
  runtime.evaluate(bundle);
  runtime.evaluate(REQUEST_EMULATION);
  return runtime;
}

it('bundles for the edge with no Node.js module: only @cohorly packages and the next/* shims', () => {
  expect(bundle).not.toMatch(/["']node:/);
  expect(bundle).not.toMatch(/\brequire\(/);
  const packages = new Set(
    inputs.map((input) =>
      input.startsWith('next-edge-shim:') ? input : /packages\/([^/]+)\/dist\//.exec(input)?.[1],
    ),
  );
  expect(packages).toEqual(
    new Set([
      undefined, // the stdin entry
      'next',
      'server-kit',
      'core',
      ...Object.keys(NEXT_SHIMS).map((path) => `next-edge-shim:${path}`),
    ]),
  );
  expect(inputs.some((input) => input.includes('server-kit/dist/index.js'))).toBe(true);
});

it('runs in a VM without require or process', () => {
  const runtime = edgeRuntime();
  expect(
    runtime.evaluate('[typeof require, typeof process, typeof fetch, typeof Headers]'),
  ).toEqual(['undefined', 'undefined', 'function', 'function']);
  expect(runtime.evaluate('Object.keys(cohorlyNext).sort().join()')).toBe(
    'createCohorlyServer,trackServer',
  );
});

it('delivers trackServer outside a request scope before resolving (an edge script)', async () => {
  const runtime = edgeRuntime();
  const errors = await runtime.evaluate(`(async () => {
    const errors = [];
    const cohorly = cohorlyNext.createCohorlyServer({
      token: 'edge-token',
      apiHost: ${JSON.stringify(server.url)},
      onError: (error) => errors.push(String(error && error.message)),
    });
    await cohorly.trackServer('Edge Script Ran', { region: 'iad1' }, { distinctId: 'edge-user' });
    return errors;
  })()`);
  expect(errors).toEqual([]);
  // Resolved once delivered: the event is already stored.
  expect(server.events()).toMatchObject([
    {
      event: 'Edge Script Ran',
      distinctId: 'edge-user',
      properties: { region: 'iad1', $lib: 'node' },
      token: 'edge-token',
    },
  ]);
});

it('tracks in an edge route handler and delivers after the response, with the anonymous id only', async () => {
  const runtime = edgeRuntime();
  const outcome = await runtime.evaluate(`(async () => {
    const errors = [];
    const cohorly = cohorlyNext.createCohorlyServer({
      token: 'edge-token',
      apiHost: ${JSON.stringify(server.url)},
      onError: (error) => errors.push(String(error && error.message)),
    });
    const answer = await handleRequest(
      {
        cookie: 'cohorly_anonymous_id=anon-edge; session=edge-session-secret',
        'user-agent': 'EdgeProbe/1.0',
        'x-forwarded-for': '198.51.100.9',
      },
      () => {
        void cohorly.trackServer('Edge Route Hit', { from: 'edge' });
        void cohorly.trackServer('Edge Item Viewed', { sku: 'pen' });
        return new Response('ok');
      },
    );
    return { answer, errors };
  })()`);
  // Both calls shared the request's one after() delivery.
  expect(outcome).toEqual({ answer: { status: 200, body: 'ok', afterTasks: 1 }, errors: [] });
  expect(server.events()).toMatchObject([
    { event: 'Edge Route Hit', distinctId: 'anon-edge', properties: { from: 'edge' } },
    { event: 'Edge Item Viewed', distinctId: 'anon-edge', properties: { sku: 'pen' } },
  ]);
  expect(server.requests().filter((request) => request.path === '/track')).toHaveLength(1);
  const received = server
    .requests()
    .map((request) => request.body)
    .join('\n');
  for (const value of ['edge-session-secret', 'EdgeProbe', '198.51.100.9']) {
    expect(received).not.toContain(value);
  }
});
