import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStale } from '../../scripts/stale-build.mjs';

const packageDir = fileURLToPath(new URL('.', import.meta.url));
const BUILT = ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts'].map((file) =>
  join(packageDir, file),
);

/**
 * Some tests run the built package, as users do (that is where missing decorator metadata
 * would show). Rebuild it when it is missing or older than the sources, so a test never
 * passes or fails on a stale build.
 */
export default function setup(): void {
  if (!isStale(BUILT, join(packageDir, 'src'))) return;
  const tsup = createRequire(import.meta.url).resolve('tsup/dist/cli-default.js');
  execFileSync(process.execPath, [tsup], { cwd: packageDir, stdio: 'inherit' });
}
