import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

// The instruction count in a tiny form, through valgrind for real: it proves that the tool
// runs both apps, reads callgrind's counts and that every tracked event arrived (the tool
// exits 1 otherwise). No assertion here is on the counts themselves.
it('counts the instructions per request of the shop with and without @cohorly/express', async () => {
  const script = fileURLToPath(new URL('../dist/instructions.js', import.meta.url));
  const { stdout } = await run(process.execPath, [script, '20', '1', '20'], { timeout: 240_000 });
  const perRequest = (variant: string) =>
    Number(
      new RegExp(`^${variant}\\s+([\\d,]+) instructions/request$`, 'm')
        .exec(stdout)?.[1]
        ?.replaceAll(',', ''),
    );
  expect(perRequest('none')).toBeGreaterThan(10_000);
  expect(perRequest('cohorly')).toBeGreaterThan(10_000);
  expect(stdout).toMatch(
    /medians of 1: bare [\d,]+, with @cohorly\/express [\d,]+ instructions\/request/,
  );
}, 300_000);
