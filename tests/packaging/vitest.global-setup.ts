import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isStale } from '../../scripts/stale-build.mjs';
import { PUBLIC_PACKAGES } from './test/support/workspace.js';

/** Every built file of a package: its JavaScript and its declarations. */
function builtFiles(dir: string): string[] {
  const dist = join(dir, 'dist');
  if (!existsSync(dist)) return [];
  return readdirSync(dist)
    .filter((name) => /\.(c?js|d\.c?ts)$/.test(name))
    .map((name) => join(dist, name));
}

/**
 * These tests pack and run every public package's `dist`. `pnpm test` builds them with turbo
 * before vitest runs, so this is usually a no-op; run alone, or after an edit, it rebuilds
 * the packages whose `dist` is missing or older than their sources, so that a test never
 * passes or fails on a stale build.
 */
export default function setup(): void {
  const tsup = createRequire(import.meta.url).resolve('tsup/dist/cli-default.js');
  for (const pkg of PUBLIC_PACKAGES) {
    if (!isStale(builtFiles(pkg.dir), join(pkg.dir, 'src'))) continue;
    execFileSync(process.execPath, [tsup], { cwd: pkg.dir, stdio: 'inherit' });
  }
}
