import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeScenarios } from './scenarios/scenario-suite.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

// Nest's injector reads what `Injectable()` and `Inject()` wrote when the module loaded; a
// build that lost it fails here with "Nest can't resolve dependencies".
const probe = `const { CohorlyModule, CohorlyService } = M;
  const { NestFactory } = C;
  const app = await NestFactory.createApplicationContext(
    CohorlyModule.forRoot({ token: 'T', apiHost: 'http://127.0.0.1:9' }), { logger: false });
  const service = app.get(CohorlyService);
  const ok = service instanceof CohorlyService && typeof service.track === 'function';
  await app.close();
  console.log(JSON.stringify({ ok }));`;

describe('the built package', () => {
  // The CommonJS build is what the scenario app below loads.
  it('injects CohorlyService when imported as ESM', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import 'reflect-metadata'; import * as M from '@cohorly/nestjs'; import * as C from '@nestjs/core'; ${probe}`,
      ],
      { cwd: root },
    );
    expect(JSON.parse(stdout)).toEqual({ ok: true });
  });

  it('leaves NestJS, rxjs and the Cohorly packages to the app (nothing bundled)', () => {
    for (const file of ['dist/index.js', 'dist/index.cjs']) {
      const code = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
      expect(code).toMatch(/["']@nestjs\/common["']/);
      expect(code).toMatch(/["']@cohorly\/server-kit["']/);
      expect(code).not.toMatch(/class Cohorly\b|class RequestTracker\b|class NestFactory/);
    }
  });
});

describeScenarios({
  nest: 12,
  entry: fileURLToPath(new URL('./scenarios/scenario-app.cjs', import.meta.url)),
});
