import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** This package's directory (tests/packaging). */
export const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** A public package of the repository. */
export interface PublicPackage {
  /** Its npm name, such as `@cohorly/core`. */
  name: string;
  /** Its directory, absolute. */
  dir: string;
  /** Its version, from its package.json. */
  version: string;
}

/** The public packages, dependencies first. */
export const PUBLIC_PACKAGES: readonly PublicPackage[] = [
  'core',
  'server-kit',
  'testing',
  'express',
  'nestjs',
  'next',
].map((folder) => {
  const dir = join(REPO_ROOT, 'packages', folder);
  const { name, version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return { name, dir, version };
});

/** The repository's TypeScript compiler (5.9.3), run with `node`. */
export const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** This package's devDependencies: the versions the packed packages are installed with. */
export function devDependencyVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'));
  const version = pkg.devDependencies?.[name];
  if (typeof version !== 'string') throw new Error(`${name} is not a devDependency`);
  return version;
}
