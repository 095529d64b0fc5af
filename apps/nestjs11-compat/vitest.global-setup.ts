import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStale } from '../../scripts/stale-build.mjs';

const appDir = fileURLToPath(new URL('.', import.meta.url));

/**
 * Lays out the built `@cohorly/nestjs` the way an install from the registry would, next to
 * this app's NestJS 11: `dist/node_modules/@cohorly/nestjs` (a copy of its package.json and
 * dist) and `dist/scenario-app.cjs`. A workspace link would not do: Node resolves a linked
 * package's `require('@nestjs/common')` from the package's real directory, which holds the
 * NestJS 12 it is developed against.
 */
export default function setup(): void {
  const packageDir = dirname(
    createRequire(import.meta.url).resolve('@cohorly/nestjs/package.json'),
  );
  const built = join(packageDir, 'dist');
  if (isStale([join(built, 'index.cjs')], join(packageDir, 'src'))) {
    throw new Error(
      `@cohorly/nestjs is not built, or older than its sources: run \`pnpm --filter @cohorly/nestjs build\` (pnpm test builds it first)`,
    );
  }
  const out = join(appDir, 'dist');
  const installed = join(out, 'node_modules', '@cohorly', 'nestjs');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(installed, { recursive: true });
  cpSync(join(packageDir, 'package.json'), join(installed, 'package.json'));
  cpSync(built, join(installed, 'dist'), { recursive: true });
  cpSync(join(packageDir, 'test', 'scenarios', 'scenario-app.cjs'), join(out, 'scenario-app.cjs'));
}
