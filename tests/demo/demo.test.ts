import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it, onTestFinished } from 'vitest';

const demo = fileURLToPath(new URL('../../scripts/demo.mjs', import.meta.url));
// Under vitest's 180 s testTimeout (vitest.config.ts), so a hang is killed and reported first.
const DEMO_KILL_MS = 170_000;

/** Runs the demo's main script (the packages and apps are built by `pnpm test` first). */
function runDemoOnce(): Promise<{ code: number | null; output: string }> {
  // The demo's temporary folder (its event log) goes in one of the test's own, removed when
  // the test ends: a demo killed below never gets to remove its folder itself.
  const scratch = mkdtempSync(join(tmpdir(), 'cohorly-demo-test-'));
  onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [demo, '--once'], {
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', TMPDIR: scratch },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own, which the dev server and the apps it starts join: one
      // signal to the group reaches every one of them, not only demo.mjs.
      detached: true,
    });
    /** SIGKILL to the demo's whole process group; nothing left in it (ESRCH) is fine. */
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    };
    // On the normal path demo.mjs has stopped its children (SIGTERM, then waited) and exited:
    // this only catches what outlived it. On a failure or vitest's timeout, it ends them all.
    onTestFinished(killGroup);
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    // Bounded: a demo that hangs is killed, with everything it started, and fails the test.
    const timer = setTimeout(killGroup, DEMO_KILL_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

it('pnpm demo --once starts everything, drives each app, prints the summary and exits', async () => {
  const { code, output } = await runDemoOnce();
  expect(output, output).toContain('Cohorly demo: what arrived at cohorly-dev-server');
  expect(code, output).toBe(0);
  for (const app of ['express-example', 'nestjs-example', 'next-example']) {
    // Each app's row: events, users, duplicates, retries/drops, lost.
    const row = new RegExp(`^ ${app}\\s+(\\d+)\\s+(\\d+)\\s+0\\s+0\\s+0$`, 'm').exec(output);
    expect(row, `${app} row in:\n${output}`).not.toBeNull();
    expect(Number(row![1])).toBeGreaterThanOrEqual(7);
  }
  expect(output).toMatch(/Signed Up ×3, Logged In ×2, Checkout Completed ×2, Login Failed ×1/);
  // A failed export tracks nothing: no Project Viewed beyond the two projects viewed.
  expect(output).toMatch(
    /nestjs-example: Signed Up ×2, Project Created ×2, Project Viewed ×2, Server Started ×1/,
  );
  expect(output).toMatch(/http:\/\/127\.0\.0\.1:\d+\/\s+live events page/);
  // The apps delivered on SIGTERM and the dev server stopped cleanly.
  expect(output).toContain('cohorly-dev-server stopped (SIGTERM)');
});
