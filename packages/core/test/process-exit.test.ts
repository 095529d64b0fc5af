import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it, onTestFinished } from 'vitest';
import { type HttpFixture, startFixture } from './http-fixture.js';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
// A child that does not exit by itself within CHILD_KILL_MS fails the test; the test's own
// timeout sits above it, so that a hang is reported as one rather than as vitest's timeout.
const CHILD_KILL_MS = 20_000;
const TEST_TIMEOUT_MS = CHILD_KILL_MS + 10_000;

let server: HttpFixture;
beforeEach(async () => {
  server = await startFixture();
});
afterEach(async () => {
  await server.close();
});

function runScript(
  source: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: 'pipe' });
    // Whatever happens to the test (a failed assertion, vitest's timeout), the child dies with it.
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_KILL_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

it('exits by itself with a BufferedConsumer that was never closed (timers are unref’d)', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const result = await runScript(`
    import { Cohorly, BufferedConsumer } from ${JSON.stringify(dist)};
    const consumer = new BufferedConsumer({ apiHost: ${JSON.stringify(server.url)}, flushIntervalMs: 60_000 });
    await new Cohorly('T', { consumer }).track('u', 'queued, never flushed');
    console.log('tracked');
  `);
  expect(result).toMatchObject({ code: 0, stdout: 'tracked\n' });
});

it('exits after close() with what it tracked delivered', { timeout: TEST_TIMEOUT_MS }, async () => {
  const result = await runScript(`
    import { Cohorly, BufferedConsumer } from ${JSON.stringify(dist)};
    const client = new Cohorly('T', { consumer: new BufferedConsumer({ apiHost: ${JSON.stringify(server.url)} }) });
    for (let i = 0; i < 120; i++) client.track('u', 'E' + i);
    console.log(JSON.stringify(await client.close({ timeoutMs: 5000 })));
  `);
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ drained: true, sent: 120, undelivered: 0 });
  expect(server.json('/track').flat()).toHaveLength(120);
});
