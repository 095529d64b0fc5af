import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { assertSucceeded, runProcess } from './support/run-process.js';
import { PUBLIC_PACKAGES, REPO_ROOT } from './support/workspace.js';

// The release flow (`changeset version`, then publish) plans from every workspace package:
// one without a `version` (a private test package, say) made it crash with "Invalid version".
it('plans a release with changesets that bumps the public packages only, all to one version', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cohorly-release-plan-'));
  try {
    const output = join(dir, 'plan.json');
    assertSucceeded(
      'changeset status',
      await runProcess(
        join(REPO_ROOT, 'node_modules', '.bin', 'changeset'),
        ['status', `--output=${output}`],
        { cwd: REPO_ROOT, timeoutMs: 60_000, inheritEnv: true },
      ),
    );
    const plan = JSON.parse(await readFile(output, 'utf8')) as {
      releases: { name: string; type: string; newVersion: string }[];
    };
    // Private packages are listed with type "none": never bumped, never published.
    const bumped = plan.releases.filter((release) => release.type !== 'none');
    const publicNames = PUBLIC_PACKAGES.map((pkg) => pkg.name);
    for (const release of bumped) expect(publicNames).toContain(release.name);
    // The public packages are one fixed group: released together, at one version.
    expect(new Set(bumped.map((release) => release.newVersion)).size).toBeLessThanOrEqual(1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
