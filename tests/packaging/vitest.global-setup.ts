import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PUBLIC_PACKAGES } from './test/support/workspace.js';

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (/\.tsx?$/.test(entry.name) && !/\.test(-d)?\.tsx?$/.test(entry.name)) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

function oldestBuilt(dir: string): number {
  const dist = join(dir, 'dist');
  if (!existsSync(dist)) return 0;
  const files = readdirSync(dist).filter((name) => /\.(c?js|d\.c?ts)$/.test(name));
  if (files.length === 0) return 0;
  return Math.min(...files.map((name) => statSync(join(dist, name)).mtimeMs));
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
    if (oldestBuilt(pkg.dir) >= newestSource(join(pkg.dir, 'src'))) continue;
    execFileSync(process.execPath, [tsup], { cwd: pkg.dir, stdio: 'inherit' });
  }
}
