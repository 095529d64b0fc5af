// One answer, shared by the test setups that run built output, to "is this build stale?":
// a test must never pass or fail on a build older than its sources.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE = /\.tsx?$/;
const TEST = /\.test(-d)?\.tsx?$/;

/** The newest modification time (ms) of the TypeScript sources under `dir`, tests left out. */
export function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (SOURCE.test(entry.name) && !TEST.test(entry.name))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The oldest modification time (ms) of `files`; 0 when any of them is missing, or none is given. */
export function oldestFile(files) {
  if (files.length === 0) return 0;
  try {
    return Math.min(...files.map((file) => statSync(file).mtimeMs));
  } catch {
    return 0;
  }
}

/** True when any of `built` is missing or older than a source file under `sourceDir`. */
export function isStale(built, sourceDir) {
  return oldestFile(built) < newestSource(sourceDir);
}
