import { type ChildProcess, spawn } from 'node:child_process';
import { onTestFinished } from 'vitest';

/** One JSON line a scenario printed. */
export type Line = { type: string } & Record<string, unknown>;

/** What a finished script left behind. */
export interface ScriptResult {
  /** Exit code; `null` when a signal ({@link ScriptResult.signal}) ended it. */
  code: number | null;
  /** The signal that ended it, when one did: ours at the time limit, or one it raised itself. */
  signal: NodeJS.Signals | null;
  /** True when it was killed at the time limit: it did not end by itself. */
  killed: boolean;
  /** Each JSON line of its standard output. */
  lines: Line[];
  stdout: string;
  stderr: string;
  /** Milliseconds from the last line it printed to its exit. */
  exitAfterLastLineMs: number;
  /** Milliseconds from start to exit. */
  totalMs: number;
}

/** The environment of a runtime's child process: no colours, no update check, no telemetry. */
export function runtimeEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    // Not what `pnpm run` sets for its script, and no Cohorly configuration by accident.
    if (value === undefined || /^(npm_|pnpm_|cohorly_)/i.test(name)) continue;
    env[name] = value;
  }
  return {
    ...env,
    NO_COLOR: '1',
    // Deno would ask the internet for a newer release; there is none to reach here.
    DENO_NO_UPDATE_CHECK: '1',
    DO_NOT_TRACK: '1',
    ...extra,
  };
}

/**
 * Stops a child and everything it started: SIGKILL to its process group (it was spawned
 * `detached`, so it leads one). Nothing left (ESRCH) is fine.
 */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** How {@link startScript} and {@link runScript} run a child. */
export interface ScriptOptions {
  /** The folder it runs in: its bare imports resolve from that folder's node_modules. */
  cwd: string;
  /** Killed (its whole process group) past this many milliseconds. */
  timeoutMs: number;
  /** Variables over {@link runtimeEnv}'s environment. */
  env?: Record<string, string>;
}

/** A child started by {@link startScript}, still running or not. */
export interface RunningScript {
  /** The JSON lines it printed so far. */
  readonly lines: readonly Line[];
  /**
   * The first line of `type` it printed, once it has; rejects, showing the output so far,
   * when it exits or `timeoutMs` passes first.
   */
  waitForLine(type: string, timeoutMs?: number): Promise<Line>;
  /**
   * The first match of `pattern` in its standard output, for a child that prints plain text
   * (an app's own log) instead of JSON lines; rejects like {@link RunningScript.waitForLine}.
   */
  waitForText(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends `signal` to the child itself (not its group), as a process manager would. */
  signal(signal: NodeJS.Signals): void;
  /** Resolves once it has exited, by itself or killed at the time limit; never rejects for an exit code. */
  readonly result: Promise<ScriptResult>;
}

/** How long {@link RunningScript.waitForLine} waits by default. */
const LINE_WAIT_MS = 10_000;

/**
 * Starts `file args` detached (it leads its own process group), with {@link runtimeEnv} and
 * `options.env`; it is killed at `options.timeoutMs`, and when the test ends, whatever
 * happened.
 */
export function startScript(
  file: string,
  args: readonly string[],
  options: ScriptOptions,
): RunningScript {
  const started = performance.now();
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: runtimeEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  onTestFinished(() => killGroup(child));
  let stdout = '';
  let stderr = '';
  let pending = '';
  let lastLineAt = started;
  const lines: Line[] = [];
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of [...listeners]) listener();
  };
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    if (!chunk.includes('\n')) return;
    lastLineAt = performance.now();
    const complete = pending.slice(0, pending.lastIndexOf('\n'));
    pending = pending.slice(complete.length + 1);
    lines.push(...parseLines(complete));
    changed();
  });
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    killGroup(child);
  }, options.timeoutMs);
  let exited = false;
  const result = new Promise<ScriptResult>((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      exited = true;
      changed();
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const exitedAt = performance.now();
      exited = true;
      changed();
      resolve({
        code,
        signal,
        killed,
        lines: parseLines(stdout),
        stdout,
        stderr,
        exitAfterLastLineMs: Math.round(exitedAt - lastLineAt),
        totalMs: Math.round(exitedAt - started),
      });
    });
  });
  // Seen by whoever awaits `result`; never an unhandled rejection of its own.
  result.catch(() => undefined);
  const soFar = () => `--- stdout\n${stdout}--- stderr\n${stderr}`;
  /** Resolves with what `find` finds once it does; rejects when the child exits or time is up first. */
  const waitFor = <T>(find: () => T | undefined, what: string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found === undefined && !exited) return;
        listeners.delete(check);
        clearTimeout(giveUp);
        if (found !== undefined) resolve(found);
        else reject(new Error(`exited without ${what}\n${soFar()}`));
      };
      const giveUp = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms\n${soFar()}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return {
    lines,
    result,
    signal: (signal) => child.kill(signal),
    waitForLine: (type, timeoutMs = LINE_WAIT_MS) =>
      waitFor(() => lines.find((line) => line.type === type), `a "${type}" line`, timeoutMs),
    waitForText: (pattern, timeoutMs = LINE_WAIT_MS) =>
      waitFor(() => pattern.exec(stdout) ?? undefined, `output matching ${pattern}`, timeoutMs),
  };
}

/**
 * Runs `file args` until it exits by itself, or kills it at `timeoutMs`; also killed when the
 * test ends, whatever happened. Never rejects for a non-zero exit: the caller asserts.
 */
export function runScript(
  file: string,
  args: readonly string[],
  options: ScriptOptions,
): Promise<ScriptResult> {
  return startScript(file, args, options).result;
}

function parseLines(stdout: string): Line[] {
  const lines: Line[] = [];
  for (const text of stdout.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as Line);
    } catch {
      // Not one of the scenario's lines: it stays in `stdout`, which failures show.
    }
  }
  return lines;
}

/** The one line of `type` a script printed; throws, showing the whole output, when absent. */
export function lineOf(result: ScriptResult, type: string): Line {
  const found = result.lines.filter((line) => line.type === type);
  if (found.length !== 1) {
    throw new Error(`expected one "${type}" line, got ${found.length}\n${describeRun(result)}`);
  }
  return found[0]!;
}

/** The whole run, for a failure message. */
export function describeRun(result: ScriptResult): string {
  return `exit ${result.code ?? result.signal}${result.killed ? ' (killed at the time limit)' : ''} after ${result.totalMs} ms\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}
