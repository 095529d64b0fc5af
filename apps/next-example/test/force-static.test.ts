// `next build` of pages that track but are static (`dynamic = 'force-static'`, the fixture in
// fixtures/force-static): Next.js renders them once, at build time, with empty headers() and
// cookies(), so their visitors are never tracked. The build log says so, once.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it, onTestFinished } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/force-static/', import.meta.url));
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');

/** Runs `next build` in the fixture, as CI does (no COHORLY_TOKEN); resolves with its output. */
function build(): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
  delete env.COHORLY_TOKEN;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [nextBin, 'build'],
      { cwd: fixture, env, timeout: 200_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`next build failed:\n${stdout}\n${stderr}`))
          : resolve(stdout + stderr),
    );
  });
}

it('says, once, that a static page tracking while it is prerendered will not track its visitors', {
  timeout: 240_000,
}, async () => {
  // The build's output (about 30 MB) is not kept in the source tree.
  onTestFinished(() => rmSync(join(fixture, '.next'), { recursive: true, force: true }));
  const output = await build();
  // Both pages are static (○): rendered by the build, never per visit.
  expect(output).toMatch(/○ \/\n/);
  expect(output).toMatch(/○ \/about\n/);
  const reports = output
    .split('\n')
    .filter((line) => line.includes('ran while prerendering a static page'));
  expect(reports).toEqual([
    expect.stringMatching(
      /^\[cohorly\] trackServer\(\) ran while prerendering a static page: its visitors will not be tracked \(track "(Home|About) Viewed" ran once, in next build, with no visitor\)/,
    ),
  ]);
});
