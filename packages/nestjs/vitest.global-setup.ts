import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('.', import.meta.url));
const BUILT = ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts'];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

function oldestBuilt(): number {
  try {
    return Math.min(...BUILT.map((file) => statSync(join(packageDir, file)).mtimeMs));
  } catch {
    return 0;
  }
}

/**
 * Some tests run the built package, as users do (that is where missing decorator metadata
 * would show). Rebuild it when it is missing or older than the sources, so a test never
 * passes or fails on a stale build.
 */
export default function setup(): void {
  if (oldestBuilt() >= newestSource(join(packageDir, 'src'))) return;
  const tsup = createRequire(import.meta.url).resolve('tsup/dist/cli-default.js');
  execFileSync(process.execPath, [tsup], { cwd: packageDir, stdio: 'inherit' });
}
