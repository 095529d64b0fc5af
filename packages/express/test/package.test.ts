import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createHarness } from './harness.js';

// The built files, as an app loads them: a CommonJS app and an ESM library in the same
// process get two copies of the package, which must still share the request context.
const require = createRequire(import.meta.url);
type Built = typeof import('../src/index.js');

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
});
