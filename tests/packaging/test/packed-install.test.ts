import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServerProcess, startDevServer } from './support/dev-server-process.js';
import { createPackedProject, type PackedProject } from './support/packed-project.js';
import { assertSucceeded, runProcess } from './support/run-process.js';
import { PUBLIC_PACKAGES, REPO_ROOT, TSC } from './support/workspace.js';

// Every public package as a user gets it: packed with `pnpm pack`, installed from the
// tarballs into a fresh project outside the repository (one install for all tests), loaded
// from ES modules and from CommonJS, type-checked, and tracking to the packed dev server.

const TOKEN = 'packaging-token';
// Each child process below is killed (SIGKILL) by runProcess past its own bound; a test that
// waits on one has a timeout above that bound, so the child has been killed by the time
// vitest could give up on the test, and the failure names the child.
const CONSUME_KILL_MS = 60_000;
const TSC_KILL_MS = 120_000;
const MARGIN_MS = 30_000;
const VERSION = PUBLIC_PACKAGES[0]!.version;

let project: PackedProject;
let devServer: DevServerProcess;

beforeAll(async () => {
  project = await createPackedProject();
  const { packMs, installMs } = project.timings;
  console.info(`packed in ${Math.round(packMs)} ms, installed in ${Math.round(installMs)} ms`);
  devServer = await startDevServer(
    join(project.dir, 'node_modules', '.bin', 'cohorly-dev-server'),
    ['--token', TOKEN],
    project.dir,
  );
});

afterAll(async () => {
  await devServer?.stop();
  await project?.remove();
});

/** The installed copy of a package. */
const installed = (name: string) => join(project.dir, 'node_modules', name);

/** The top-level entries of a package's tarball (under its `package/` folder). */
async function tarballEntries(name: string): Promise<Set<string>> {
  const listing = assertSucceeded(
    'tar',
    await runProcess('tar', ['-tzf', project.tarballs[name]!], {
      cwd: project.dir,
      timeoutMs: 30_000,
    }),
  );
  return new Set(
    listing.stdout
      .trim()
      .split('\n')
      .map((path) => path.split('/')[1]!),
  );
}

describe('the tarballs', () => {
  it.each(PUBLIC_PACKAGES.map((pkg) => [pkg.name]))(
    '%s holds its build and manifest only, with workspace ranges rewritten',
    async (name) => {
      const top = await tarballEntries(name);
      // Only what `files` lists (and npm always adds): no sources, tests or configs. The
      // testing package's `bin/` is the dev server's launcher, a file pnpm can link before
      // the first build.
      const allowed = ['dist', 'package.json', 'README.md', 'LICENSE'];
      if (name === '@cohorly/testing') allowed.push('bin');
      expect([...top].filter((entry) => !allowed.includes(entry))).toEqual([]);
      expect(top).toContain('dist');
      const manifest = await readFile(join(installed(name), 'package.json'), 'utf8');
      expect(manifest).not.toContain('workspace:');
      const { dependencies = {} } = JSON.parse(manifest);
      for (const [dependency, range] of Object.entries(dependencies)) {
        if (dependency.startsWith('@cohorly/')) expect(range).toBe(`^${VERSION}`);
      }
    },
  );

  for (const pkg of PUBLIC_PACKAGES) {
    it(`${pkg.name} ships a README`, async () => {
      expect(await tarballEntries(pkg.name)).toContain('README.md');
    });
  }

  it.each(PUBLIC_PACKAGES.map((pkg) => [pkg.name]))(
    '%s ships the MIT licence text its manifest names',
    async (name) => {
      // MIT asks that the notice travel with the code; npm packs a LICENSE only from the
      // package's own folder, so each keeps a copy of the repository's.
      const manifest = JSON.parse(await readFile(join(installed(name), 'package.json'), 'utf8'));
      expect(manifest.license).toBe('MIT');
      const shipped = await readFile(join(installed(name), 'LICENSE'), 'utf8');
      expect(shipped).toBe(await readFile(join(REPO_ROOT, 'LICENSE'), 'utf8'));
      expect(shipped).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} Cohorly\n/);
    },
  );

  it('resolves the packages’ dependencies on each other to the tarballs, not the registry', async () => {
    for (const pkg of PUBLIC_PACKAGES) {
      const location = await realpath(installed(pkg.name));
      expect(location).toContain('@file+tarballs+');
      const manifest = JSON.parse(await readFile(join(location, 'package.json'), 'utf8'));
      for (const dependency of Object.keys(manifest.dependencies ?? {})) {
        if (!dependency.startsWith('@cohorly/')) continue;
        // pnpm links a package's dependencies next to it, in the same node_modules.
        const linked = await realpath(join(location, '..', '..', dependency));
        expect(linked).toContain('@file+tarballs+');
      }
    }
  });
});

describe.each([
  { format: 'esm', script: 'consume.mjs', entry: 'index.js' },
  { format: 'cjs', script: 'consume.cjs', entry: 'index.cjs' },
])('loaded from $script', ({ format, script, entry }) => {
  const expected = [
    { pkg: 'core', distinctId: `${format}-core-user` },
    { pkg: 'server-kit', distinctId: `${format}-kit-visitor` },
    { pkg: 'express', distinctId: `${format}-express-visitor` },
    { pkg: 'nestjs', distinctId: `${format}-nest-visitor` },
    { pkg: 'next', distinctId: `${format}-next-user` },
  ];

  it('tracks one event through each package to the dev server, and exits by itself', {
    timeout: CONSUME_KILL_MS + MARGIN_MS,
  }, async () => {
    const run = assertSucceeded(
      script,
      await runProcess(process.execPath, [script], {
        cwd: project.dir,
        env: { COHORLY_TOKEN: TOKEN, COHORLY_API_HOST: devServer.url },
        // The process must end on its own: no client keeps it alive once closed.
        timeoutMs: CONSUME_KILL_MS,
      }),
    );
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    // Each package resolved to the build of this module format.
    expect(summary.resolved).toEqual(
      Object.fromEntries(PUBLIC_PACKAGES.map((pkg) => [pkg.name, entry])),
    );
    for (const names of Object.values(summary.exports as Record<string, Record<string, string>>)) {
      for (const type of Object.values(names)) expect(type).toMatch(/^(function|string)$/);
    }
    expect(summary.version).toBe(VERSION);
    // NestJS 12 is ESM-only: the CommonJS consumer loaded it through require(esm).
    if (format === 'cjs') expect(summary.requireModule).toBe(true);

    for (const { pkg, distinctId } of expected) {
      // The dev server printed it...
      await devServer.waitForOutput(
        new RegExp(`"Packaged ${pkg} \\(${format}\\)" +${distinctId} +node`),
      );
    }
    // ...and stored it, once.
    const stored = (await (await fetch(`${devServer.url}/api/events?limit=500`)).json()) as {
      events: Array<{ event: string; distinctId: string; properties: Record<string, unknown> }>;
    };
    const mine = stored.events.filter((event) => event.event.endsWith(`(${format})`));
    expect(mine).toHaveLength(expected.length);
    for (const { pkg, distinctId } of expected) {
      expect(mine).toContainEqual(
        expect.objectContaining({
          event: `Packaged ${pkg} (${format})`,
          distinctId,
          properties: expect.objectContaining({
            via: `@cohorly/${pkg}`,
            $lib: 'node',
            $lib_version: VERSION,
          }),
        }),
      );
    }
  });
});

describe.concurrent('type-checked with the repository’s TypeScript', () => {
  it('is TypeScript 5.9.3', async () => {
    const version = await runProcess(process.execPath, [TSC, '--version'], {
      cwd: project.dir,
      timeoutMs: 30_000,
    });
    expect(version.stdout.trim()).toBe('Version 5.9.3');
  });

  it.each([
    ['node16, as an ES module (index.d.ts)', 'tsconfig.node16.json'],
    ['node16, as CommonJS (index.d.cts)', 'tsconfig.node16-cjs.json'],
    ['bundler', 'tsconfig.bundler.json'],
    ['node10, as module commonjs implies', 'tsconfig.node10.json'],
    ['node16, a CommonJS file given a client of the ES module build', 'tsconfig.mixed.json'],
  ])(
    'passes tsc --noEmit with moduleResolution %s',
    {
      timeout: TSC_KILL_MS + MARGIN_MS,
    },
    async (_, tsconfig) => {
      const result = await runProcess(process.execPath, [TSC, '--noEmit', '-p', tsconfig], {
        cwd: project.dir,
        timeoutMs: TSC_KILL_MS,
      });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.code).toBe(0);
    },
  );
});

describe('the packed cohorly-dev-server', () => {
  it('keeps the events it accepted in its data file across a restart', async () => {
    const bin = join(project.dir, 'node_modules', '.bin', 'cohorly-dev-server');
    const args = ['--token', TOKEN, '--data', 'restart.jsonl'];
    const first = await startDevServer(bin, args, project.dir);
    try {
      const send = `const { Cohorly } = require('@cohorly/core');
        new Cohorly(${JSON.stringify(TOKEN)}, { apiHost: ${JSON.stringify(first.url)} })
          .track('restart-user', 'Before Restart', { n: 1 });`;
      assertSucceeded(
        'track',
        await runProcess(process.execPath, ['-e', send], { cwd: project.dir, timeoutMs: 30_000 }),
      );
      await first.waitForOutput(/"Before Restart" +restart-user/);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    expect(first.output()).toContain('cohorly-dev-server stopped (SIGTERM)');
    const lines = (await readFile(join(project.dir, 'restart.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      { event: 'Before Restart', distinctId: 'restart-user' },
    ]);

    const second = await startDevServer(bin, args, project.dir);
    try {
      await second.waitForOutput(/loaded 1 event from restart\.jsonl/);
    } finally {
      await second.stop();
    }
  });
});
