import { copyFile, cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSucceeded, runProcess } from './run-process.js';
import { devDependencyVersion, PACKAGE_DIR, PUBLIC_PACKAGES, REPO_ROOT } from './workspace.js';

/** What a user installs next to the Cohorly packages: the frameworks and their types. */
const THIRD_PARTY = [
  'express',
  '@types/express',
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  'reflect-metadata',
  'rxjs',
  'next',
  'react',
  'react-dom',
  '@types/react',
  '@types/node',
];

/** A temporary project, outside the repository, with the packed packages installed. */
export interface PackedProject {
  /** The project's directory, under the system's temporary directory. */
  dir: string;
  /** The tarball `pnpm pack` made for each public package, by package name. */
  tarballs: Record<string, string>;
  /** How long packing and installing took, in milliseconds. */
  timings: { packMs: number; installMs: number };
  /** Deletes the project. */
  remove(): Promise<void>;
}

/** `pnpm`'s content-addressable store, as the repository's install uses it. */
async function storeDir(): Promise<string> {
  const result = assertSucceeded(
    'pnpm store path',
    await runProcess('pnpm', ['store', 'path'], {
      cwd: REPO_ROOT,
      timeoutMs: 30_000,
      inheritEnv: true,
    }),
  );
  return result.stdout.trim();
}

/**
 * Packs every public package with `pnpm pack` (which rewrites `workspace:` ranges to the
 * versions being published), and installs the tarballs with `pnpm install` into a fresh
 * project under the system's temporary directory, with `fixtures/consumer` copied in.
 * `pnpm.overrides` points the packages' dependencies on each other at the tarballs too, so
 * nothing comes from the registry's `@cohorly` scope; third-party packages come from pnpm's
 * store (the repository's, so nothing is downloaded twice).
 */
export async function createPackedProject(): Promise<PackedProject> {
  const dir = await mkdtemp(join(tmpdir(), 'cohorly-packaging-'));
  const remove = () => rm(dir, { recursive: true, force: true, maxRetries: 3 });
  try {
    const tarballDir = join(dir, 'tarballs');
    await mkdir(tarballDir);
    const packStart = performance.now();
    const filters = PUBLIC_PACKAGES.flatMap((pkg) => ['--filter', pkg.name]);
    assertSucceeded(
      'pnpm pack',
      await runProcess('pnpm', ['-r', ...filters, 'pack', '--pack-destination', tarballDir], {
        cwd: REPO_ROOT,
        timeoutMs: 120_000,
      }),
    );
    const packMs = performance.now() - packStart;

    const files = await readdir(tarballDir);
    const tarballs: Record<string, string> = {};
    for (const pkg of PUBLIC_PACKAGES) {
      // `@cohorly/server-kit` 0.1.0 is packed as `cohorly-server-kit-0.1.0.tgz`.
      const file = `${pkg.name.replace('@', '').replace('/', '-')}-${pkg.version}.tgz`;
      if (!files.includes(file)) throw new Error(`pnpm pack did not make ${file}: ${files}`);
      tarballs[pkg.name] = join(tarballDir, file);
    }
    const fromTarball = Object.fromEntries(
      PUBLIC_PACKAGES.map((pkg) => [
        pkg.name,
        `file:./tarballs/${tarballs[pkg.name]!.split('/').pop()}`,
      ]),
    );

    await cp(join(PACKAGE_DIR, 'fixtures', 'consumer'), dir, { recursive: true });
    // One usage file, checked as an ES module and as CommonJS under node16 (see its header).
    for (const extension of ['mts', 'cts']) {
      await copyFile(join(dir, 'types', 'usage.ts'), join(dir, 'types', `usage.${extension}`));
    }
    const manifest = {
      name: 'cohorly-packaging-consumer',
      version: '0.0.0',
      private: true,
      dependencies: {
        ...fromTarball,
        ...Object.fromEntries(THIRD_PARTY.map((name) => [name, devDependencyVersion(name)])),
      },
      pnpm: { overrides: fromTarball },
    };
    await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

    const installStart = performance.now();
    assertSucceeded(
      'pnpm install',
      await runProcess(
        'pnpm',
        [
          'install',
          '--prefer-offline',
          '--ignore-workspace',
          '--store-dir',
          await storeDir(),
          '--reporter=append-only',
        ],
        { cwd: dir, timeoutMs: 180_000 },
      ),
    );
    const installMs = performance.now() - installStart;
    return { dir, tarballs, timings: { packMs, installMs }, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
