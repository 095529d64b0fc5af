import { fileURLToPath } from 'node:url';
import type { Runtime } from './runtimes.js';
import { runScript, type ScriptResult } from './child-process.js';

/** This package's folder: the scripts run from here, so `@cohorly/core` resolves through its node_modules. */
export const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

const SCENARIOS = fileURLToPath(new URL('../../fixtures/scenarios.mjs', import.meta.url));

/** Killed past this: a scenario takes well under a second, and a leaked 10 s timer is caught. */
const SCRIPT_KILL_MS = 8000;

/** The command line that runs fixtures/scenarios.mjs with each runtime. */
function commandLine(runtime: Runtime | 'node', args: string[]): [string, string[]] {
  if (runtime === 'node') return [process.execPath, [SCENARIOS, ...args]];
  if (runtime.name === 'bun') {
    // --no-install: resolve from node_modules only, never install anything at run time.
    return [runtime.binary!, ['--no-install', SCENARIOS, ...args]];
  }
  // Loopback only, nothing else: no file, environment or other network access is needed.
  return [
    runtime.binary!,
    ['run', '--no-lock', '--no-prompt', '--quiet', '--allow-net=127.0.0.1', SCENARIOS, ...args],
  ];
}

/** Runs one scenario of fixtures/scenarios.mjs in `runtime` against the server at `apiHost`. */
export function runScenario(
  runtime: Runtime | 'node',
  scenario: string,
  apiHost: string,
  token: string,
): Promise<ScriptResult> {
  const [file, args] = commandLine(runtime, [scenario, apiHost, token]);
  return runScript(file, args, { cwd: PACKAGE_DIR, timeoutMs: SCRIPT_KILL_MS });
}
