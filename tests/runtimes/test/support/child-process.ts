import { type ChildProcess, spawn } from 'node:child_process';
import { onTestFinished } from 'vitest';

/** One JSON line a scenario printed. */
export type Line = { type: string } & Record<string, unknown>;

/** What a finished script left behind. */
export interface ScriptResult {
  /** Exit code; `null` when a signal (our kill at the time limit) ended it. */
  code: number | null;
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

/**
 * Runs `file args` until it exits by itself, or kills it at `timeoutMs`; also killed when the
 * test ends, whatever happened. Never rejects for a non-zero exit: the caller asserts.
 */
export function runScript(
  file: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number },
): Promise<ScriptResult> {
  const started = performance.now();
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: runtimeEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  onTestFinished(() => killGroup(child));
  let stdout = '';
  let stderr = '';
  let lastLineAt = started;
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    stdout += chunk;
    if (chunk.includes('\n')) lastLineAt = performance.now();
  });
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    killGroup(child);
  }, options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const exitedAt = performance.now();
      resolve({
        code,
        killed,
        lines: parseLines(stdout),
        stdout,
        stderr,
        exitAfterLastLineMs: Math.round(exitedAt - lastLineAt),
        totalMs: Math.round(exitedAt - started),
      });
    });
  });
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
  return `exit ${result.code}${result.killed ? ' (killed at the time limit)' : ''} after ${result.totalMs} ms\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}
