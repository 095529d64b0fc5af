import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it, onTestFinished } from 'vitest';
import { Cohorly } from '../src/cohorly.js';
import { type HttpFixture, startFixture } from './http-fixture.js';

// The reference SDK lives in the shared folder beside the repository.
const pythonSdk = fileURLToPath(
  new URL('../../../../shared/spec/python-sdk-0.1.0', import.meta.url),
);

// python3 starting and sending 12 requests takes well under a second; the bound only ends a
// hang, and the test's own timeout sits above it so that the bound is what reports one.
const PYTHON_KILL_MS = 20_000;
const TEST_TIMEOUT_MS = PYTHON_KILL_MS + 10_000;

/** Runs the reference SDK's script in python3, bounded, and killed when the test ends. */
function runPython(script: string, ...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'python3',
      ['-c', script, ...args],
      { timeout: PYTHON_KILL_MS, killSignal: 'SIGKILL' },
      (error, _stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(),
    );
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
  });
}

let server: HttpFixture;
beforeEach(async () => {
  server = await startFixture();
});
afterEach(async () => {
  await server.close();
});

const ID = '0123456789abcdef0123456789abcdef';
const PROPS = {
  time: 1764220000123,
  $insert_id: ID,
  plan: 'pro',
  name: 'Zoë 😀 "q" \\ \n',
  n: 1.5,
  nested: { a: [1, null, true], b: -2 },
};
const PY_PROPS = JSON.stringify(PROPS);
// Array-index keys, which a JS object lists before its other keys: Python keeps them after
// the stamped properties, where the update put them.
const INDEXED = { plan: 'pro', '2024': 'y', '0': 'z', time: 1764220000999, $insert_id: ID };
const PY_INDEXED = JSON.stringify(INDEXED);
const RAW_UPDATE = { distinct_id: 'u1', '7': 'x', $set: { a: 1 } };
const PY_RAW_UPDATE = JSON.stringify(RAW_UPDATE);

const pythonScript = `
import json, sys
sys.path.insert(0, ${JSON.stringify(pythonSdk)})
from cohorly import Cohorly
props = json.loads(${JSON.stringify(PY_PROPS)})
ch = Cohorly("T", api_host=sys.argv[1])
ch.track("u1", "Signed Up", props, {"ip": "1.2.3.4"})
ch.import_data("u1", "Old", 1700000000123, {"$insert_id": "${ID}", "x": True})
ch.alias("new-id", "u1")
ch.people_set("u1", {"name": "Ada", "tags": ["a", "b"]}, {"$ip": "0"})
ch.people_set_once("u1", {"first": "é"})
ch.people_increment("u1", {"logins": 2})
ch.people_unset("u1", ["a", "b"])
ch.people_delete("u1")
ch.people_update({"distinct_id": "u1", "$set_once": {"t": "x"}, "token": "T"})
ch.track("u1", "Yearly", json.loads(${JSON.stringify(PY_INDEXED)}), {"1": "m", "ip": "1.2.3.4"})
ch.people_set("u1", {"2": "b", "name": "Ada"}, {"9": 1})
ch.people_update(json.loads(${JSON.stringify(PY_RAW_UPDATE)}))
`;

async function sendWithJs(client: Cohorly): Promise<void> {
  await client.track('u1', 'Signed Up', PROPS, { ip: '1.2.3.4' });
  await client.importData('u1', 'Old', 1700000000123, { $insert_id: ID, x: true });
  await client.alias('new-id', 'u1');
  await client.peopleSet('u1', { name: 'Ada', tags: ['a', 'b'] }, { $ip: '0' });
  await client.peopleSetOnce('u1', { first: 'é' });
  await client.peopleIncrement('u1', { logins: 2 });
  await client.peopleUnset('u1', ['a', 'b']);
  await client.peopleDelete('u1');
  await client.peopleUpdate({ distinct_id: 'u1', $set_once: { t: 'x' }, token: 'T' });
  await client.track('u1', 'Yearly', INDEXED, { '1': 'm', ip: '1.2.3.4' });
  await client.peopleSet('u1', { '2': 'b', name: 'Ada' }, { '9': 1 });
  await client.peopleUpdate(RAW_UPDATE);
}

it('sends the same bytes as the Python SDK 0.1.0, but for $lib and $lib_version', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  expect(existsSync(pythonSdk), `the reference SDK at ${pythonSdk}`).toBe(true);
  await runPython(pythonScript, server.url);
  const python = server.requests.splice(0);
  expect(python).toHaveLength(12);

  await sendWithJs(new Cohorly('T', { apiHost: server.url }));
  const js = server.requests.splice(0);

  const comparable = (body: string) =>
    body.replace(
      /"\$lib":"(python|node)","\$lib_version":"[^"]+"/,
      '"$lib":"*","$lib_version":"*"',
    );
  expect(js.map((r) => r.path)).toEqual(python.map((r) => r.path));
  expect(js.map((r) => comparable(r.body))).toEqual(python.map((r) => comparable(r.body)));
  expect(js.map((r) => r.contentType)).toEqual(python.map((r) => r.contentType));
});
