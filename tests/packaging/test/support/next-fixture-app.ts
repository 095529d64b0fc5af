import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { childEnv } from './run-process.js';
import { PACKAGE_DIR, REPO_ROOT } from './workspace.js';

/** fixtures/next-privacy-app: a real Next.js app, built with `next build`. */
export const APP_DIR = join(PACKAGE_DIR, 'fixtures', 'next-privacy-app');

const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');

// What the build depends on: the app's sources and the built packages it bundles.
const INPUTS = [
  join(APP_DIR, 'app'),
  join(APP_DIR, 'lib'),
  join(APP_DIR, 'instrumentation.js'),
  join(APP_DIR, 'instrumentation-node.js'),
  join(APP_DIR, 'next.config.mjs'),
  ...['next', 'server-kit', 'core'].map((name) => join(REPO_ROOT, 'packages', name, 'dist')),
];

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return /\.(map|d\.c?ts)$/.test(path) ? 0 : stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/**
 * Runs `next build` unless `.next` already holds a build newer than every input. The first
 * build takes 15-30 s on a shared machine; later runs reuse it.
 */
export async function ensureBuilt(): Promise<void> {
  const buildId = join(APP_DIR, '.next', 'BUILD_ID');
  const built = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
  if (built > Math.max(...INPUTS.map(newest))) return;
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [nextBin, 'build'],
      { cwd: APP_DIR, env: childEnv(), timeout: 200_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`next build failed:\n${stdout}\n${stderr}`)) : resolve(),
    );
  });
}

/** A running `next start`. */
export interface RunningApp {
  /** Base URL, such as `http://127.0.0.1:41234`. */
  url: string;
  /** Everything the app printed so far. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 15 s. */
  stop(): Promise<void>;
}

/** Starts `next start` on 127.0.0.1, on a free port, once it printed `listening on <url>`. */
export async function startApp(env: Record<string, string>): Promise<RunningApp> {
  const child: ChildProcess = spawn(
    process.execPath,
    [nextBin, 'start', '--hostname', '127.0.0.1'],
    { cwd: APP_DIR, env: childEnv({ ...env, PORT: '0' }), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`next start did not start:\n${output}`)),
        60_000,
      );
      child.stdout?.on('data', () => {
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (!match) return;
        clearTimeout(timer);
        resolve(match[1]!);
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`next start exited with ${code}:\n${output}`));
      });
    });
    return { url, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
