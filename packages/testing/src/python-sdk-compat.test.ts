// The server must accept what the reference Python SDK sends (CONTRACT.md §2), byte for byte.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { post } from './http-test-helpers.js';
import { startTestServer, type TestServer } from './test-server.js';

// Bodies as the Python SDK's json.dumps(separators=(",", ":")) writes them: ASCII only
// (ensure_ascii), datetimes as isoformat strings, meta keys at the top level.
const PYTHON_EVENT =
  '{"event":"Signed Up","properties":{"token":"T","distinct_id":"u1","time":1764220000123,' +
  '"$insert_id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","$lib":"python","$lib_version":"0.1.0",' +
  '"plan":"pro","name":"Ren\\u00e9e","signed_up_at":"2025-11-27T06:11:00.123456","amount":42.5}}';
const PYTHON_BATCH =
  '[{"event":"Order Completed","properties":{"token":"T","distinct_id":"u1","time":1764220001000,' +
  '"$insert_id":"order-42","$lib":"python","$lib_version":"0.1.0"},"$ignore_time":true},' +
  '{"event":"Legacy Signup","properties":{"token":"T","distinct_id":"u2","time":1600000000000,' +
  '"$insert_id":"a1b2c3d4e5f60718293a4b5c6d7e8f90","$lib":"python","$lib_version":"0.1.0",' +
  '"source":"csv"}}]';
const PYTHON_PEOPLE = [
  '{"token":"T","distinct_id":"u1","$set":{"$first_name":"Ada","plan":"pro"}}',
  '{"token":"T","distinct_id":"u1","$set_once":{"created":"2025-11-27","plan":"free"}}',
  '{"token":"T","distinct_id":"u1","$add":{"logins":1,"credits":2.5}}',
  '{"token":"T","distinct_id":"u1","$unset":["created"]}',
  '[{"token":"T","distinct_id":"u2","$set":{"x":1}},{"token":"T","distinct_id":"u2","$delete":true}]',
];
const PYTHON_ALIAS = '{"alias":"new-id","distinct_id":"u1","token":"T"}';

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('bodies the Python SDK sends', () => {
  it('are accepted and stored as the contract describes', async () => {
    const s = await startTestServer({ tokens: ['T'] });
    server = s;
    expect((await post(s.url, '/track', PYTHON_EVENT)).status).toBe(200);
    expect((await post(s.url, '/track', PYTHON_BATCH)).status).toBe(200);
    // Python's BufferedConsumer re-sends a whole batch after a failure: deduplicated.
    expect((await post(s.url, '/track', PYTHON_BATCH)).status).toBe(200);
    for (const body of PYTHON_PEOPLE) expect((await post(s.url, '/engage', body)).status).toBe(200);
    expect((await post(s.url, '/alias', PYTHON_ALIAS)).status).toBe(200);

    expect(s.events()).toHaveLength(3);
    const [signup, order, legacy] = s.events();
    expect(signup).toMatchObject({ event: 'Signed Up', distinctId: 'u1', token: 'T', meta: {} });
    expect(signup?.properties).toEqual({
      distinct_id: 'u1',
      time: 1_764_220_000_123,
      $insert_id: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      $lib: 'python',
      $lib_version: '0.1.0',
      plan: 'pro',
      name: 'Renée',
      signed_up_at: '2025-11-27T06:11:00.123456',
      amount: 42.5,
    });
    expect(order).toMatchObject({ insertId: 'order-42', meta: { $ignore_time: true } });
    expect(legacy?.properties).toMatchObject({ time: 1_600_000_000_000, source: 'csv' });
    expect(s.profiles()).toEqual([
      {
        token: 'T',
        distinctId: 'u1',
        properties: { $first_name: 'Ada', plan: 'pro', logins: 1, credits: 2.5 },
        updatedAt: expect.any(Number),
      },
    ]);
    expect(s.aliases()).toMatchObject([{ alias: 'new-id', distinctId: 'u1', token: 'T' }]);
    expect(s.events({ distinctId: 'new-id' }).map((e) => e.event)).toEqual([
      'Signed Up',
      'Order Completed',
    ]);
  });
});

const sdkDir = fileURLToPath(new URL('../../../../shared/spec/python-sdk-0.1.0', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;
// The script runs in well under a second; a python3 still running after this is killed and
// fails the test, whose own timeout sits above it so that the bound is what reports a hang.
const PYTHON_KILL_MS = 20_000;
const PYTHON_TEST_TIMEOUT_MS = PYTHON_KILL_MS + 10_000;

// The real SDK, where the machine has python3 and the shared spec folder beside the repo.
describe.skipIf(!hasPython || !existsSync(sdkDir))('the Python SDK itself', () => {
  it('delivers to the test server, with its Consumer and its BufferedConsumer', {
    timeout: PYTHON_TEST_TIMEOUT_MS,
  }, async () => {
    const s = await startTestServer({ tokens: ['T'] });
    server = s;
    s.faults.next('/track', { status: 503 });
    const script = `
import sys
sys.path.insert(0, sys.argv[1])
from cohorly import Cohorly, BufferedConsumer
ch = Cohorly("T", api_host=sys.argv[2])
ch._consumer._sleep = lambda seconds: None
ch.track("u1", "Signed Up", {"plan": "pro", "name": "Ren\\u00e9e"})
ch.people_set("u1", {"plan": "pro"})
ch.people_increment("u1", {"logins": 2})
ch.alias("new-id", "u1")
buffered = BufferedConsumer(max_size=50, api_host=sys.argv[2])
batch = Cohorly("T", consumer=buffered)
for i in range(3):
    batch.track("u2", "Step", {"i": i})
batch.import_data("u2", "Legacy", 1600000000000)
assert buffered.flush()
`;
    // Asynchronous (not spawnSync): the server answering it runs in this same process.
    const result = await new Promise<{ status: number | null; output: string }>((resolve) => {
      const child = execFile(
        'python3',
        ['-c', script, sdkDir, s.url],
        { timeout: PYTHON_KILL_MS, killSignal: 'SIGKILL' },
        (error, out, err) =>
          resolve({ status: error ? ((error.code as number) ?? 1) : 0, output: out + err }),
      );
      // Whatever happens to the test (a failed assertion, vitest's timeout), python3 dies with it.
      onTestFinished(() => {
        child.kill('SIGKILL');
      });
    });
    expect(result.status, result.output).toBe(0);
    // The first /track got a scripted 503; Consumer retried it (its sleep stubbed out).
    expect(s.requests()[0]).toMatchObject({ path: '/track', status: 503 });
    expect(s.events().map((e) => [e.event, e.distinctId])).toEqual([
      ['Signed Up', 'u1'],
      ['Step', 'u2'],
      ['Step', 'u2'],
      ['Step', 'u2'],
      ['Legacy', 'u2'],
    ]);
    expect(s.events()[0]?.properties).toMatchObject({ $lib: 'python', name: 'Renée' });
    expect(s.events()[0]?.properties).not.toHaveProperty('token');
    expect(s.profiles()[0]?.properties).toEqual({ plan: 'pro', logins: 2 });
    expect(s.events({ distinctId: 'new-id' })).toHaveLength(1);
    // The batch went as one array of four.
    const batches = s.requests().filter((r) => Array.isArray(r.json));
    expect(batches.map((r) => (r.json as unknown[]).length)).toEqual([4]);
  });
});
