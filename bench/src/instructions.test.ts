import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

// The instruction count in a tiny form, through valgrind for real: it proves that the tool
// runs the three apps, reads callgrind's counts and that every tracked event arrived (the
// tool exits 1 otherwise). No assertion here is on the counts themselves.
it('counts the instructions per request of the shop bare, with @cohorly/express and with no SDK', async () => {
  const script = fileURLToPath(new URL('../dist/instructions.js', import.meta.url));
  const { stdout } = await run(process.execPath, [script, '20', '1', '20'], { timeout: 240_000 });
  const perRequest = (variant: string) =>
    Number(
      new RegExp(`^${variant}\\s+([\\d,]+) instructions/request$`, 'm')
        .exec(stdout)?.[1]
        ?.replaceAll(',', ''),
    );
  for (const variant of ['none', 'cohorly', 'raw']) {
    expect(perRequest(variant)).toBeGreaterThan(10_000);
  }
  expect(stdout).toMatch(/^ {2}with no SDK \(the floor\) +[\d,]+: \+[\d,]+ /m);
  expect(stdout).toMatch(/Cohorly's extra over the floor's: [\d.]+x$/m);
}, 300_000);
