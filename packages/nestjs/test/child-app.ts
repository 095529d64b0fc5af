import { type ChildProcess, spawn } from 'node:child_process';

/** A Node app running as a child process, as it would in production. */
export interface ChildApp {
  /** The URL the app printed (`listening on http://127.0.0.1:PORT`). */
  url: string;
  /** Everything the app wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and resolves with how the process ended (killed after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ChildExit>;
}

/** How a child process ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when it had to be killed because it did not exit within the timeout. */
  killed: boolean;
}

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

/**
 * Starts `node <entry>` with `env` (on top of this process's environment, with `PORT=0`) and
 * resolves once it prints its URL. A child that exits first, or prints nothing within
 * `timeoutMs`, is killed and the promise rejects with its output.
 */
export function startChildApp(
  entry: string,
  env: Record<string, string>,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<ChildApp> {
  const child = spawn(process.execPath, [entry], {
    cwd: options.cwd,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, killed: false }));
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });

  return new Promise<ChildApp>((resolve, reject) => {
    const fail = (reason: string) => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`${entry} ${reason}; its output:\n${output}`));
    };
    const timer = setTimeout(() => fail('printed no URL in time'), options.timeoutMs ?? 20_000);
    const onExit = () => fail('exited before listening');
    const onData = () => {
      const match = LISTENING.exec(output);
      if (!match?.[1]) return;
      cleanup();
      resolve({
        url: match[1],
        output: () => output,
        stop: (signal, timeoutMs) => stop(child, exited, signal, timeoutMs),
      });
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout.off('data', onData);
    };
    child.once('exit', onExit);
    child.stdout.on('data', onData);
  });
}

async function stop(
  child: ChildProcess,
  exited: Promise<ChildExit>,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 15_000,
): Promise<ChildExit> {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<ChildExit>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: null, signal: 'SIGKILL', killed: true });
    }, timeoutMs);
  });
  try {
    return await Promise.race([exited, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
