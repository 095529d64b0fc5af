import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Cohorly, CohorlyError, Consumer, type Endpoint } from '@cohorly/core';
import { describe, expect, it } from 'vitest';
import { createRecorder } from './recorder.js';
import { startTestServer } from './test-server.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('createRecorder', () => {
  it('records what a Cohorly client sends, exactly as it would go on the wire', async () => {
    const recorder = createRecorder();
    const client = new Cohorly('tok', { consumer: recorder });
    await client.track('user-1', 'Signed Up', { plan: 'pro' });
    await client.peopleSet('user-1', { name: 'Ada' });
    await client.alias('new-id', 'user-1');

    const messages = recorder.messages();
    expect(messages.map((m) => m.endpoint)).toEqual(['events', 'people', 'alias']);
    for (const message of messages) expect(JSON.parse(message.json)).toEqual(message.data);
    const [event] = recorder.events();
    expect(event).toMatchObject({
      event: 'Signed Up',
      distinctId: 'user-1',
      token: 'tok',
      properties: { token: 'tok', distinct_id: 'user-1', $lib: 'node', plan: 'pro' },
    });
    expect(event?.insertId).toMatch(/^[0-9a-f]{32}$/);
    // The contract's key order: token, distinct_id, time, $insert_id, $lib, $lib_version.
    expect(Object.keys(event?.properties ?? {})).toEqual([
      'token',
      'distinct_id',
      'time',
      '$insert_id',
      '$lib',
      '$lib_version',
      'plan',
    ]);
    expect(messages[1]?.json).toBe('{"token":"tok","distinct_id":"user-1","$set":{"name":"Ada"}}');
    expect(recorder.people()).toEqual([
      {
        distinctId: 'user-1',
        token: 'tok',
        operation: '$set',
        value: { name: 'Ada' },
        message: messages[1],
      },
    ]);
    expect(recorder.aliases()).toEqual([
      { alias: 'new-id', distinctId: 'user-1', token: 'tok', message: messages[2] },
    ]);
    expect(recorder.messages('people')).toEqual([messages[1]]);
  });

  it('queries events by filter and predicate, across aliases', async () => {
    const recorder = createRecorder();
    const client = new Cohorly('tok', { consumer: recorder });
    await client.track('anon', 'Visit');
    await client.alias('anon', 'user-1');
    await client.track('user-1', 'Paid', { amount: 5 });
    await client.track('user-2', 'Paid', { amount: 7 });
    expect(recorder.events({ distinctId: 'user-1' }).map((e) => e.event)).toEqual([
      'Visit',
      'Paid',
    ]);
    expect(recorder.events((e) => e.properties.amount === 7).map((e) => e.distinctId)).toEqual([
      'user-2',
    ]);
    expect(recorder.find({ event: 'Paid' })?.distinctId).toBe('user-1');
    expect(recorder.find({ event: 'Refund' })).toBeUndefined();
  });

  it('expectEvent returns the match, or throws an Error listing what was recorded', async () => {
    const recorder = createRecorder();
    const client = new Cohorly('tok', { consumer: recorder });
    await client.track('user-1', 'Signed Up', { plan: 'free', tags: ['a', 'b'] });
    expect(recorder.expectEvent('Signed Up').distinctId).toBe('user-1');
    expect(recorder.expectEvent('Signed Up', { plan: 'free', tags: ['a', 'b'] })).toEqual(
      recorder.events()[0],
    );
    let thrown: unknown;
    try {
      recorder.expectEvent('Signed Up', { plan: 'pro' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    const message = (thrown as Error).message;
    expect(message).toMatch(
      /^expectEvent: expected a "Signed Up" event with properties \{"plan":"pro"\}, but none was recorded\.\nRecorded events \(1\):\n {2}1\. "Signed Up" distinct_id="user-1" \{"token":"tok",/,
    );
    expect(message).toContain('"plan":"free"');
    expect(() => recorder.expectEvent('Missing')).toThrow(/Recorded events \(1\)/);
  });

  it('rejects what the server would refuse, without recording it, when validating', async () => {
    const recorder = createRecorder();
    await expect(recorder.send('events', '{"event":"A","properties":{}}')).rejects.toThrow(
      'recorder: the Cohorly server would reject this events message (401: properties.token is missing)',
    );
    await expect(recorder.send('alias', '[]')).rejects.toThrow(/400: an alias must be/);
    await expect(recorder.send('people', 'not json')).rejects.toThrow(TypeError);
    await expect(recorder.send('nope' as 'events', '{}')).rejects.toThrow(/unknown endpoint/);
    expect(recorder.messages()).toEqual([]);
  });

  it('fails as the Consumer it stands in for: the same CohorlyError, the same close report', async () => {
    const server = await startTestServer();
    try {
      const refused: [Endpoint, string][] = [
        // 400: two operations in one /engage message.
        ['people', '{"token":"T","distinct_id":"u","$set":{"a":1},"$add":{"n":1}}'],
        // 401: no token; a BufferedConsumer would keep it, a Consumer rejects at once.
        ['events', '{"event":"A","properties":{"distinct_id":"u"}}'],
      ];
      const recorder = createRecorder();
      const consumer = new Consumer({ apiHost: server.url, retryLimit: 0 });
      const shape = (error: unknown) => {
        const { name, code, status, retryable, messages } = error as CohorlyError;
        return {
          isCohorlyError: CohorlyError.isInstance(error),
          name,
          code,
          status,
          retryable,
          messages,
        };
      };
      for (const [endpoint, json] of refused) {
        const fromRecorder = await recorder.send(endpoint, json).catch(shape);
        const fromConsumer = await consumer.send(endpoint, json).catch(shape);
        expect(fromRecorder).toEqual(fromConsumer);
      }
      expect(await recorder.send('people', refused[0]![1]).catch(shape)).toEqual({
        isCohorlyError: true,
        name: 'CohorlyError',
        code: 'rejected',
        status: 400,
        retryable: false,
        messages: 1,
      });
      expect(await recorder.send('events', refused[1]![1]).catch(shape)).toMatchObject({
        code: 'unauthorized',
        status: 401,
      });
      // Refused sends rejected; nothing was dropped, and nothing is left to deliver.
      const report = await recorder.close();
      expect(report).toEqual(await consumer.close({ timeoutMs: 0 }));
      expect(report).toEqual({
        drained: true,
        sent: 0,
        undelivered: 0,
        queued: { events: 0, people: 0, alias: 0 },
        dropped: { overflow: 0, rejected: 0, oversized: 0 },
      });
    } finally {
      await server.close();
    }
  });

  it('records anything that is JSON with validate: false, and keeps it out of the views', async () => {
    const recorder = createRecorder({ validate: false });
    await recorder.send('events', '{"event":"A"}');
    await recorder.send('people', '{"token":"t","distinct_id":"u","$set":{},"$add":{}}');
    expect(recorder.messages().map((m) => m.json)).toEqual([
      '{"event":"A"}',
      '{"token":"t","distinct_id":"u","$set":{},"$add":{}}',
    ]);
    expect(recorder.events()).toEqual([]);
    expect(recorder.people()).toEqual([]);
  });

  it('flushes and closes as a consumer with nothing queued, and clear() forgets all', async () => {
    const recorder = createRecorder();
    const client = new Cohorly('tok', { consumer: recorder });
    await client.track('u', 'A');
    await client.alias('n', 'u');
    expect(await client.flush()).toBe(true);
    expect(await client.close()).toEqual({
      drained: true,
      sent: 2,
      undelivered: 0,
      queued: { events: 0, people: 0, alias: 0 },
      dropped: { overflow: 0, rejected: 0, oversized: 0 },
    });
    recorder.clear();
    expect(recorder.messages()).toEqual([]);
    await recorder.send('events', '{"event":"B","properties":{"token":"t","distinct_id":"x"}}');
    // The alias n -> u was forgotten with the rest.
    expect(recorder.events({ distinctId: 'u' })).toEqual([]);
  });

  it('hands out frozen records', async () => {
    const recorder = createRecorder();
    await new Cohorly('tok', { consumer: recorder }).track('u', 'A', { plan: 'pro' });
    const [event] = recorder.events();
    expect(() => {
      (event?.properties as Record<string, unknown>).plan = 'free';
    }).toThrow(TypeError);
  });

  it('works under node:test, from the built ESM and CommonJS files', () => {
    const result = spawnSync(
      process.execPath,
      // TAP, whose `# pass` summary is read below: from Node 24 on the default reporter is
      // `spec` even without a terminal.
      [
        '--test',
        '--test-reporter=tap',
        'src/fixtures/recorder-node-test.mjs',
        'src/fixtures/recorder-node-test.cjs',
      ],
      { cwd: packageDir, encoding: 'utf8', timeout: 30_000 },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, output).toBe(0);
    expect(output).toMatch(/^# pass 4$/m);
    expect(output).toMatch(/^# fail 0$/m);
  });
});
