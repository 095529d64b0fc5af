import { execFile } from 'node:child_process';

/** What a finished child process left behind. */
export interface ProcessResult {
  /** Exit code; `null` when a signal (our timeout) ended it. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runProcess}. */
export interface RunOptions {
  cwd: string;
  /** Extra environment variables, over {@link childEnv}'s. */
  env?: Record<string, string>;
  /** Killed (SIGKILL) past this. */
  timeoutMs: number;
  /** Pass our whole environment, unfiltered (to ask pnpm about the repository's own setup). */
  inheritEnv?: boolean;
}

// Set by package managers for the script they run, or Cohorly's own configuration.
const SCRIPT_CONTEXT =
  /^(npm_package_|npm_lifecycle_|npm_command$|pnpm_package_|pnpm_script_|cohorly_)/i;

/**
 * The environment for a child process: ours without what `pnpm run`/`pnpm exec` set for the
 * script being run (`npm_package_*`, `npm_lifecycle_*`, `PNPM_SCRIPT_SRC_DIR`...) and without
 * Cohorly's own variables, so a child behaves as in a user's shell and never inherits a token
 * by accident. pnpm and npm configuration (`npm_config_*`: registry, proxy, store) is kept.
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || SCRIPT_CONTEXT.test(name)) continue;
    env[name] = value;
  }
  return { ...env, NEXT_TELEMETRY_DISABLED: '1', ...extra };
}

/** Runs `file args` to completion; never rejects for a non-zero exit (the caller asserts). */
export function runProcess(
  file: string,
  args: readonly string[],
  options: RunOptions,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: options.inheritEnv ? { ...process.env, ...options.env } : childEnv(options.env),
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 32 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number' && !error.killed) {
          reject(error);
          return;
        }
        resolve({ code: error ? (error.killed ? null : Number(error.code)) : 0, stdout, stderr });
      },
    );
  });
}

/** Throws with the output when a process did not exit with 0. */
export function assertSucceeded(what: string, result: ProcessResult): ProcessResult {
  if (result.code === 0) return result;
  throw new Error(
    `${what} exited with ${result.code ?? 'a timeout'}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
  );
}
