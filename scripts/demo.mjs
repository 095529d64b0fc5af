#!/usr/bin/env node
// `pnpm demo`: starts cohorly-dev-server and the three example apps against it, drives a
// scripted visit through each, and prints what arrived. `--once` exits after the summary.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apps } from './demo/apps.mjs';
import { startProcess, stopProcess } from './demo/child-process.mjs';
import { preferredPort } from './demo/ports.mjs';
import { allArrived, appReport, printSummary, readStoredEvents } from './demo/summary.mjs';

const once = process.argv.includes('--once');
const devServerCli = fileURLToPath(new URL('../packages/testing/dist/cli.js', import.meta.url));
const workDir = await mkdtemp(join(tmpdir(), 'cohorly-demo-'));
const dataFile = join(workDir, 'events.jsonl');
const running = [];

async function stopAll() {
  // Apps first: on SIGTERM each delivers what it still holds to the dev server.
  await Promise.all(running.slice(1).map((handle) => stopProcess(handle)));
  if (running[0]) await stopProcess(running[0]);
  await rm(workDir, { recursive: true, force: true });
}

async function waitForArrival(deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  let events = await readStoredEvents(dataFile);
  // Bounded: gives up at the deadline and lets the summary show what is missing.
  while (!allArrived(apps, events) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    events = await readStoredEvents(dataFile);
  }
  return events;
}

try {
  const port = await preferredPort(4000);
  if (port !== 4000) console.log(`port 4000 is taken; cohorly-dev-server uses ${port}`);
  running.push(
    await startProcess({
      name: 'cohorly-dev-server',
      command: process.execPath,
      args: [devServerCli, '--port', String(port), '--data', dataFile],
      ready: /listening on (http:\/\/\S+)/,
    }),
  );
  const devServerUrl = running[0].url;
  const handles = await Promise.all(
    apps.map((app) =>
      startProcess({
        name: app.name,
        ...app.start,
        ready: app.ready,
        env: {
          COHORLY_TOKEN: app.token,
          COHORLY_API_HOST: devServerUrl,
          PORT: '0',
          NEXT_TELEMETRY_DISABLED: '1',
        },
      }),
    ),
  );
  running.push(...handles);

  console.log('\nDriving a scripted visit through each app...');
  for (const [index, app] of apps.entries()) {
    const did = await app.scenario(handles[index].url);
    console.log(`  ${app.name}: ${did}`);
  }

  const events = await waitForArrival(20_000);
  const ok = printSummary(apps.map((app, index) => appReport(app, events, handles[index].output)));
  console.log('\nOpen:');
  console.log(`  ${devServerUrl}/`.padEnd(36) + 'live events page');
  for (const [index, app] of apps.entries())
    console.log(`  ${handles[index].url}`.padEnd(36) + app.name);

  if (once) {
    await stopAll();
    process.exit(ok ? 0 : 1);
  }
  console.log('\nServing until Ctrl-C.');
  const shutdown = async () => {
    console.log('\nStopping...');
    await stopAll();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  await stopAll();
  process.exit(1);
}
