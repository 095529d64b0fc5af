import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const typedoc = join(root, 'node_modules/.bin/typedoc');
let out: string;
let log: string;

// What `pnpm run docs` runs (typedoc.json at the root), written to a temporary folder.
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'cohorly-docs-'));
  const { stdout, stderr } = await promisify(execFile)(typedoc, ['--out', out], { cwd: root });
  log = stdout + stderr;
}, 170_000);
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

it('generates the API reference of every public package from its TSDoc, without errors', async () => {
  expect(log).toMatch(/Found 0 errors/);
  for (const pkg of ['core', 'express', 'nestjs', 'next', 'testing', 'server-kit']) {
    const page = await readFile(join(out, 'modules', `_cohorly_${pkg}.html`), 'utf8');
    expect(page).toContain(`@cohorly/${pkg}`);
  }
  const options = await readFile(
    join(out, 'interfaces', '_cohorly_core.BufferedConsumerOptions.html'),
    'utf8',
  );
  // An option's TSDoc, default included, reaches the page.
  expect(options).toContain('maxQueueSize');
  expect(options).toMatch(/1000/);
});
