import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createHarness } from './harness.js';

// The built files, as an app loads them: a CommonJS app and an ESM library in the same
// process get two copies of the package, which must still share the request context.
const require = createRequire(import.meta.url);
type Built = typeof import('../src/index.js');

const TSC = require.resolve('typescript/bin/tsc');
// tsc takes a few seconds here; past TSC_KILL_MS the child is killed, and the test's own
// timeout sits above that bound so that it is the bound that reports a hang.
const TSC_KILL_MS = 60_000;

/** Runs tsc on a fixture project; resolves with its exit code and output, never rejects. */
function typecheck(project: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TSC, '-p', fileURLToPath(new URL(project, import.meta.url))],
      { timeout: TSC_KILL_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, output: stdout + stderr });
      },
    );
  });
}

describe('the built package', () => {
  it('loads with CommonJS require and with ESM import', async () => {
    const cjs = require('@cohorly/express') as Built;
    const esm = (await import('@cohorly/express')) as Built;
    for (const built of [cjs, esm]) {
      expect(typeof built.cohorly).toBe('function');
      expect(typeof built.getRequestCohorly).toBe('function');
    }
    expect(cjs.cohorly).not.toBe(esm.cohorly);
  });

  it('shares the request context between its CommonJS and ESM copies', async () => {
    const cjs = require('@cohorly/express') as Built;
    const esm = (await import('@cohorly/express')) as Built;
    const express = (await import('express')).default;
    const h = await createHarness();
    try {
      const analytics = cjs.cohorly({ token: 't', apiHost: h.cohorlyServer.url });
      const app = express();
      app.use(analytics);
      app.get('/', (req, res) => {
        res.json({ same: esm.getRequestCohorly() === req.cohorly });
      });
      const { url } = await h.serve(app);

      expect(await (await fetch(url)).json()).toEqual({ same: true });
      await analytics.close({ timeoutMs: 1000 });
    } finally {
      await h.cleanup();
    }
  });

  it('types req.cohorly alike in a program that loads both its ESM and CommonJS declarations', {
    timeout: TSC_KILL_MS + 10_000,
  }, async () => {
    // An ES module app with one .cts file: index.d.ts and index.d.cts both declare
    // `req.cohorly`, and tsc requires the two declarations to be of the same type.
    const { code, output } = await typecheck('./fixtures/dual-load/tsconfig.json');
    expect(output).toBe('');
    expect(code).toBe(0);
  });
});
