import { readFile } from 'node:fs/promises';

/** The events the dev server stored, read back from its `--data` file (JSON lines). */
export async function readStoredEvents(dataFile) {
  const text = await readFile(dataFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/** What one app delivered: counts per event name, users, duplicates, and what is missing. */
export function appReport(app, events, output) {
  const own = events.filter((event) => event.token === app.token);
  const byName = {};
  for (const event of own) byName[event.event] = (byName[event.event] ?? 0) + 1;
  const missing = Object.entries(app.expected)
    .filter(([name, count]) => (byName[name] ?? 0) < count)
    .map(([name, count]) => `${name} (${byName[name] ?? 0}/${count})`);
  const insertIds = own.map((event) => event.insertId);
  return {
    name: app.name,
    events: own.length,
    users: new Set(own.map((event) => event.distinctId)).size,
    byName,
    duplicates: insertIds.length - new Set(insertIds).size,
    missing,
    // Every retry, drop and failure the SDK met is reported through onError: one line each.
    sdkWarnings: output.filter((line) => line.includes('[cohorly]')).length,
  };
}

/** True once every app has delivered at least what its scenario expects. */
export function allArrived(apps, events) {
  return apps.every((app) => appReport(app, events, []).missing.length === 0);
}

/** Prints the summary table; returns true when nothing was lost or duplicated. */
export function printSummary(reports) {
  const line = '─'.repeat(78);
  console.log(`\n${line}\n Cohorly demo: what arrived at cohorly-dev-server\n${line}`);
  console.log(
    ` ${'app'.padEnd(18)}${'events'.padStart(7)}${'users'.padStart(7)}${'dupes'.padStart(7)}${'retries/drops'.padStart(15)}  lost`,
  );
  for (const r of reports) {
    const lost = r.missing.length === 0 ? '0' : r.missing.join(', ');
    console.log(
      ` ${r.name.padEnd(18)}${String(r.events).padStart(7)}${String(r.users).padStart(7)}${String(r.duplicates).padStart(7)}${String(r.sdkWarnings).padStart(15)}  ${lost}`,
    );
  }
  console.log(line);
  for (const r of reports) {
    const names = Object.entries(r.byName)
      .sort((a, b) => b[1] - a[1])
      .map(([name, count]) => `${name} ×${count}`)
      .join(', ');
    console.log(` ${r.name}: ${names || 'nothing'}`);
  }
  const total = reports.reduce((sum, r) => sum + r.events, 0);
  console.log(`${line}\n ${total} events from ${reports.length} apps.`);
  return reports.every((r) => r.missing.length === 0 && r.duplicates === 0);
}
