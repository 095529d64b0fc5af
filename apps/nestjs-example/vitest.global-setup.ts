import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStale } from '../../scripts/stale-build.mjs';

const appDir = fileURLToPath(new URL('.', import.meta.url));

/**
 * The e2e tests start the built app with node, as it runs in production. Rebuild it (tsc)
 * when it is missing or older than its sources, so a test never runs a stale build
 * (`pnpm test` builds it first through turbo anyway).
 */
export default function setup(): void {
  if (!isStale([join(appDir, 'dist', 'main.js')], join(appDir, 'src'))) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: appDir,
    stdio: 'inherit',
  });
}
