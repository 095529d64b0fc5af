import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestServer } from '@cohorly/testing';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

// These run the built package, as users get it: `pnpm --filter @cohorly/next build` first
// (turbo's `build` runs before the tests).
const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

it('loads with ESM import and CommonJS require', async () => {
  const probe = `console.log(JSON.stringify(['createCohorlyServer', 'getCohorlyServer', 'trackServer', 'isNextControlFlowError'].map((name) => typeof M[name])));`;
  for (const [type, load] of [
    ['module', `import * as M from '@cohorly/next';`],
    ['commonjs', `const M = require('@cohorly/next');`],
  ]) {
    const { stdout } = await run(process.execPath, [`--input-type=${type}`, '-e', load + probe], {
      cwd: root,
    });
    expect(JSON.parse(stdout)).toEqual(['function', 'function', 'function', 'function']);
  }
});

it('shares one server and client between two copies of the package (two bundles)', async () => {
  const server = await startTestServer();
  try {
    // instrumentation.ts and a route are bundled apart: here, the ESM and the CJS build.
    const script = `import { createRequire } from 'node:module';
      import { createCohorlyServer } from '@cohorly/next';
      const other = createRequire(import.meta.url)('@cohorly/next');
      const configured = createCohorlyServer({ getDistinctId: () => 'from-instrumentation' });
      await other.trackServer('Shared Across Bundles');
      console.log(JSON.stringify(other.getCohorlyServer() === configured));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, COHORLY_TOKEN: 'shared', COHORLY_API_HOST: server.url },
    });
    expect(JSON.parse(stdout)).toBe(true);
    expect(server.events()).toMatchObject([
      { event: 'Shared Across Bundles', distinctId: 'from-instrumentation', token: 'shared' },
    ]);
  } finally {
    await server.close();
  }
});

it('keeps the edge path free of Node.js: no node: or built-in module in the bundle', async () => {
  for (const entry of ['dist/index.js', 'dist/index.cjs']) {
    // What Next.js's edge compiler does: bundle everything but the app's own Next.js, with
    // `process.env.NEXT_RUNTIME` replaced, which drops the Node.js-only transport's import.
    const result = await build({
      entryPoints: [fileURLToPath(new URL(`../${entry}`, import.meta.url))],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'neutral',
      format: 'esm',
      mainFields: ['module', 'main'],
      conditions: ['edge-light', 'worker', 'import'],
      external: ['next/*'],
      define: { 'process.env.NEXT_RUNTIME': '"edge"' },
      logLevel: 'silent',
    });
    const imports = Object.values(result.metafile.inputs).flatMap((input) =>
      input.imports.map((imported) => imported.path),
    );
    const external = imports.filter((path) => !Object.hasOwn(result.metafile.inputs, path));
    expect(new Set(external)).toEqual(new Set(['next/server.js', 'next/headers.js']));
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/["']node:/);
    expect(Object.keys(result.metafile.inputs).some((path) => path.includes('server-kit'))).toBe(
      true,
    );
  }
});

it('reaches node:http only on the Node.js runtime, through @cohorly/server-kit/node', async () => {
  for (const entry of ['dist/index.js', 'dist/index.cjs']) {
    // The import stays a dynamic import of the package (not bundled into ours), so the
    // bundler of the app sees it, and drops it where NEXT_RUNTIME is "edge".
    const code = readFileSync(new URL(`../${entry}`, import.meta.url), 'utf8');
    expect(code).toContain('import("@cohorly/server-kit/node")');
    // What Next.js's Node.js compiler does with it.
    const result = await build({
      entryPoints: [fileURLToPath(new URL(`../${entry}`, import.meta.url))],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      external: ['next/*'],
      define: { 'process.env.NEXT_RUNTIME': '"nodejs"' },
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => /server-kit\/dist\/node\.c?js$/.test(path))).toBe(true);
  }
});

it('declares Next.js and React as peers, never as dependencies', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  expect(pkg.peerDependencies).toEqual({
    next: '>=15.1.0',
    react: '^18.2.0 || ^19.0.0',
    'react-dom': '^18.2.0 || ^19.0.0',
  });
  expect(Object.keys(pkg.dependencies)).toEqual(['@cohorly/core', '@cohorly/server-kit']);
});
