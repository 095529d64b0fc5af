import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { post, trackBody } from './http-test-helpers.js';
import { startTestServer } from './test-server.js';

// The bin users run, which loads the built CLI.
const cliPath = fileURLToPath(new URL('../bin/cohorly-dev-server.js', import.meta.url));

interface RunningCli {
  child: ChildProcess;
  url: string;
  /** Every stdout line so far. */
  lines: string[];
  /** Resolves with the first stdout line (past or future) that matches. */
  line(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stderr(): string;
}

const children: ChildProcess[] = [];
const tempDirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cohorly-dev-server-'));
  tempDirs.push(dir);
  return join(dir, name);
}

/** Spawns the built CLI; resolves once it has printed its first line. */
function spawnCli(args: string[]): Promise<RunningCli> {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let stderr = '';
  let partial = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = (pattern: RegExp): Promise<string> => {
    const seen = lines.find((candidate) => pattern.test(candidate));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      waiters.push({ pattern, resolve });
      exited.then((code) =>
        reject(
          new Error(`exited (${code}) before printing ${pattern}:\n${lines.join('\n')}\n${stderr}`),
        ),
      );
    });
  };
  return line(/.*/).then(() => ({
    child,
    url: /listening on (http:\/\/\S+)$/.exec(lines[0] ?? '')?.[1] ?? '',
    lines,
    line,
    exited,
    stderr: () => stderr,
  }));
}

describe('cohorly-dev-server', () => {
  it('prints its URL first, one readable line per accepted event, and exits 0 on SIGTERM', async () => {
    const cli = await spawnCli(['--port', '0']);
    expect(cli.lines[0]).toMatch(/^cohorly-dev-server listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(await cli.line(/^open /)).toBe(`open ${cli.url}/ to watch events live`);
    const page = await fetch(`${cli.url}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<title>Cohorly · live events</title>');
    const event = trackBody('Signed Up', 'user-1', { plan: 'pro', $lib: 'python', seats: 3 });
    expect((await post(cli.url, '/track', event)).status).toBe(200);
    expect(await cli.line(/Signed Up/)).toBe(
      '2025-11-27T05:06:40.123Z  "Signed Up"  user-1  python  plan="pro"  seats=3',
    );
    // Invalid events are answered 400 and not printed.
    expect((await post(cli.url, '/track', { event: 'Broken' })).status).toBe(400);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.lines.at(-1)).toBe('cohorly-dev-server stopped (SIGTERM)');
    expect(cli.lines.join('\n')).not.toContain('Broken');
  });

  it('keeps serving and storing events when the reader of its output goes away', async () => {
    // As `cohorly-dev-server | head -n1` or a script that read the URL: the next event line
    // used to end the process with an unhandled EPIPE, and the data file lost its events.
    const data = tempFile('events.jsonl');
    const cli = await spawnCli(['--port', '0', '--data', data]);
    cli.child.stdout?.destroy();
    for (const id of ['one', 'two', 'three']) {
      const event = trackBody('After Reader Left', 'u1', { $insert_id: id });
      expect((await post(cli.url, '/track', event)).status).toBe(200);
    }
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toBe('');
    const saved = readFileSync(data, 'utf8').trim().split('\n');
    expect(saved.map((line) => JSON.parse(line).properties.$insert_id)).toEqual([
      'one',
      'two',
      'three',
    ]);
  });

  it('exits 0 on SIGINT', async () => {
    const cli = await spawnCli(['--port', '0']);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(cli.lines.at(-1)).toBe('cohorly-dev-server stopped (SIGINT)');
  });

  it('accepts only the --token values given', async () => {
    const cli = await spawnCli(['--port', '0', '--token', 'a', '-t', 'b']);
    await cli.line(/^accepting tokens: a, b$/);
    expect((await post(cli.url, '/track', trackBody('X', 'u', {}, 'b'))).status).toBe(200);
    expect((await post(cli.url, '/track', trackBody('X', 'u', {}, 'c'))).status).toBe(401);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('keeps events in --data across a restart, so deduplication survives it', async () => {
    const data = tempFile('events.jsonl');
    const first = await spawnCli(['--port', '0', '--data', data]);
    expect(await first.line(/^loaded/)).toBe(`loaded 0 events from ${data}`);
    await post(first.url, '/track', [
      trackBody('A', 'u1', { $insert_id: 'one' }),
      trackBody('B', 'u1', { $insert_id: 'two' }),
    ]);
    await first.line(/"B"/);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // Flushed on exit: both events are in the file.
    const saved = readFileSync(data, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(saved.map((event) => [event.event, event.insertId, event.token])).toEqual([
      ['A', 'one', 'T'],
      ['B', 'two', 'T'],
    ]);
    expect(saved[0].properties).not.toHaveProperty('token');

    const second = await spawnCli(['--port', '0', '--data', data]);
    expect(await second.line(/^loaded/)).toBe(`loaded 2 events from ${data}`);
    // A retry of an event stored before the restart is accepted but not stored again.
    expect(
      (await post(second.url, '/track', trackBody('A', 'u1', { $insert_id: 'one' }))).status,
    ).toBe(200);
    await post(second.url, '/track', trackBody('C', 'u1', { $insert_id: 'three' }));
    await second.line(/"C"/);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.lines.filter((line) => line.includes('"A"'))).toEqual([]);
    const lines = readFileSync(data, 'utf8').trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).insertId)).toEqual(['one', 'two', 'three']);
  });

  it('skips an unreadable line of --data and does not glue the next event to it', async () => {
    const data = tempFile('events.jsonl');
    const stored = {
      event: 'A',
      distinctId: 'u1',
      token: 'T',
      properties: { distinct_id: 'u1', $insert_id: 'one' },
      insertId: 'one',
      meta: {},
      receivedAt: 1,
    };
    // A crash mid-write leaves half a line without its newline.
    writeFileSync(data, `${JSON.stringify(stored)}\n{"event":"B","distin`);
    const cli = await spawnCli(['--port', '0', '--data', data]);
    expect(await cli.line(/^loaded/)).toBe(`loaded 1 event from ${data}`);
    await post(cli.url, '/track', trackBody('C', 'u1', { $insert_id: 'three' }));
    await cli.line(/"C"/);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toContain(`skipped unreadable lines 2 of ${data}`);
    const lines = readFileSync(data, 'utf8').split('\n');
    expect(JSON.parse(lines[2] ?? '').insertId).toBe('three');
  });

  it('prints usage for --help and exits 0', async () => {
    const cli = await spawnCli(['--help']);
    expect(await cli.exited).toBe(0);
    expect(cli.lines[0]).toBe('Usage: cohorly-dev-server [options]');
    expect(cli.lines.join('\n')).toContain('--data <file>');
  });

  it('exits 2 with the usage on a bad argument', async () => {
    const child = spawn(process.execPath, [cliPath, '--port', 'abc'], { stdio: 'pipe' });
    children.push(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('cohorly-dev-server: --port must be a number 0-65535, got "abc"');
    expect(stderr).toContain('Usage: cohorly-dev-server');
  });

  it('exits 1 with the reason when the port is taken', async () => {
    const taken = await startTestServer();
    try {
      const child = spawn(process.execPath, [cliPath, '--port', String(taken.port)], {
        stdio: 'pipe',
      });
      children.push(child);
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        stderr += text;
      });
      const code = await new Promise((resolve) => child.once('close', resolve));
      expect(code).toBe(1);
      expect(stderr).toMatch(/^cohorly-dev-server: listen EADDRINUSE/);
    } finally {
      await taken.close();
    }
  });
});
