import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const run = promisify(execFile);

// Both resolve '@cohorly/core' through the package's own exports map (self-reference).
const probe = `const { Cohorly, BufferedConsumer, Consumer, CohorlyError, LIB_VERSION } = M;
  const ok = [Cohorly, BufferedConsumer, Consumer, CohorlyError].every((x) => typeof x === 'function');
  console.log(JSON.stringify({ ok, version: LIB_VERSION, isInstance: CohorlyError.isInstance(new CohorlyError('x', { code: 'rejected' })) }));`;

it('loads the built package with ESM import', async () => {
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', `import * as M from '@cohorly/core'; ${probe}`],
    { cwd: root },
  );
  expect(JSON.parse(stdout)).toEqual({ ok: true, version: pkg.version, isInstance: true });
});

it('loads the built package with CommonJS require', async () => {
  const { stdout } = await run(
    process.execPath,
    ['--input-type=commonjs', '-e', `const M = require('@cohorly/core'); ${probe}`],
    { cwd: root },
  );
  expect(JSON.parse(stdout)).toEqual({ ok: true, version: pkg.version, isInstance: true });
});

it('recognises a CohorlyError from the other module format (two copies of the package)', async () => {
  const { stdout } = await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { createRequire } from 'node:module';
      import { CohorlyError } from '@cohorly/core';
      const Cjs = createRequire(import.meta.url)('@cohorly/core');
      const e = new Cjs.CohorlyError('x', { code: 'timeout' });
      console.log(JSON.stringify([e instanceof CohorlyError, CohorlyError.isInstance(e)]));`,
    ],
    { cwd: root },
  );
  expect(JSON.parse(stdout)).toEqual([false, true]);
});

it('has no runtime dependencies and no node: imports in the built code', () => {
  expect(pkg.dependencies ?? {}).toEqual({});
  for (const file of ['dist/index.js', 'dist/index.cjs']) {
    const code = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
    expect(code).not.toMatch(
      /from ['"]node:|require\(['"]node:|from ['"](fs|http|https|net|os|crypto)['"]/,
    );
  }
});
