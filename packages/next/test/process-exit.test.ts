import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '@cohorly/testing';
import { afterEach, beforeEach, expect, it, onTestFinished } from 'vitest';

// A script on Next.js's Node.js runtime (NEXT_RUNTIME=nodejs, as Next.js sets it) ending with
// messages still queued, as `next start` does on SIGTERM once its after() work has given up
// at flushTimeoutMs: what is lost is reported as the process exits. These run the built
// package, as users get it (turbo's `build` runs before the tests).

const root = fileURLToPath(new URL('..', import.meta.url));
// A child that does not exit by itself within CHILD_KILL_MS fails the test; the test's own
// timeout sits above it, so that a hang is reported as one rather than as vitest's timeout.
const CHILD_KILL_MS = 15_000;
const TEST_TIMEOUT_MS = CHILD_KILL_MS + 5_000;

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.close();
});

interface Exit {
  code: number | null;
  /** What onError received, one message a line. */
  reported: string[];
  stderr: string;
}

/**
 * Runs `body` as an ES module next to `createCohorlyServer` (from the ESM build) and `other`
 * (the CommonJS build: a second copy, as Next.js bundles instrumentation.ts and routes apart);
 * `onError` prints each message. Resolves once the child exits by itself.
 */
function runScript(body: string, env: Record<string, string> = {}): Promise<Exit> {
  const source = `import { createRequire } from 'node:module';
    import { createCohorlyServer } from '@cohorly/next';
    const other = createRequire(import.meta.url)('@cohorly/next');
    const onError = (error) => console.log(error.message);
    ${body}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
      cwd: root,
      env: {
        ...process.env,
        NEXT_RUNTIME: 'nodejs',
        COHORLY_TOKEN: 'exit-token',
        COHORLY_API_HOST: server.url,
        ...env,
      },
      stdio: 'pipe',
    });
    // Whatever happens to the test (a failed assertion, vitest's timeout), the child dies too.
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_KILL_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, reported: stdout.split('\n').filter(Boolean), stderr });
    });
  });
}

it('reports, once per client as the process exits, the messages it never delivered', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  // Cohorly is down for longer than the delivery may wait.
  server.faults.failFor('/track', 600_000, { status: 503 });
  const result = await runScript(`
    // Created twice (a hot reload, instrumentation.ts and a route), from two copies: one
    // client, one exit listener.
    createCohorlyServer({ onError, flushTimeoutMs: 0 });
    const cohorly = other.createCohorlyServer({ onError, flushTimeoutMs: 0 });
    for (const event of ['A', 'B', 'C']) void cohorly.trackServer(event, {}, { distinctId: 'u1' });
    await cohorly.flush();
  `);
  // It exits by itself (the listener keeps nothing alive), with its own exit code.
  expect(result.code).toBe(0);
  expect(result.reported).toEqual([
    // The flushes that gave up at flushTimeoutMs, then the loss, said once.
    ...Array(4).fill(
      'delivery did not finish within flushTimeoutMs (0 ms); messages still queued: 3 (sent with the next flush, lost if the process exits first)',
    ),
    '3 messages were not delivered before the process exited',
  ]);
  expect(server.events()).toEqual([]);
});

it('says nothing at exit when everything was delivered', { timeout: TEST_TIMEOUT_MS }, async () => {
  const result = await runScript(`
    const cohorly = createCohorlyServer({ onError });
    await cohorly.trackServer('Delivered', {}, { distinctId: 'u1' });
  `);
  expect(result).toMatchObject({ code: 0, reported: [] });
  expect(server.events()).toMatchObject([{ event: 'Delivered' }]);
});

it('never throws from the exit listener, whatever onError does', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  server.faults.failFor('/track', 600_000, { status: 503 });
  const result = await runScript(`
    const cohorly = createCohorlyServer({
      flushTimeoutMs: 0,
      onError: (error) => {
        console.log(error.message);
        throw new Error('onError failed');
      },
    });
    await cohorly.trackServer('Lost', {}, { distinctId: 'u1' });
    process.exitCode = 3;
  `);
  expect(result.code).toBe(3);
  expect(result.reported.at(-1)).toBe('1 message was not delivered before the process exited');
  expect(result.stderr).toBe('');
});

it('listens for nothing outside Next.js’s Node.js runtime', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  server.faults.failFor('/track', 600_000, { status: 503 });
  // A plain script (no NEXT_RUNTIME): no exit listener; a script closes its client itself.
  const result = await runScript(
    `await createCohorlyServer({ onError, flushTimeoutMs: 0 }).trackServer('Lost', {}, { distinctId: 'u1' });`,
    { NEXT_RUNTIME: '' },
  );
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(result.reported).toEqual([
    'delivery did not finish within flushTimeoutMs (0 ms); messages still queued: 1 (sent with the next flush, lost if the process exits first)',
  ]);
});
