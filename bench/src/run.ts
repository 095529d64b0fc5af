import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isServerScenario } from './adapters/types.js';
import { configFromEnv } from './config.js';
import { checkTargets, formatTable, formatTargets, summarize } from './report.js';
import { killChildren, runBench } from './runner.js';
import { startSink } from './sink.js';

/** `pnpm bench`: every scenario, every SDK, several runs; a table of medians and a JSON file. */
async function main(): Promise<void> {
  const config = configFromEnv(process.env);
  const startedAt = new Date();
  // The machine is shared: its load is part of what a reader needs to weigh the figures.
  const loadavgAtStart = loadavg();
  const sink = await startSink();
  // Ctrl-C stops the children and the sink too: nothing outlives the bench.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killChildren();
      void sink.close().finally(() => process.exit(130));
    });
  }
  process.stdout.write(
    `cohorly bench: ${config.scenarios.join(', ')}; ${config.runs} runs each; sink ${sink.url}\n`,
  );
  try {
    const results = await runBench(sink, config, (r) => {
      const figures = r.failure
        ? `FAILED: ${r.failure.slice(0, 300)}`
        : isServerScenario(r.scenario)
          ? `${Math.round(r.requestsPerSec ?? 0)} req/s, ${(r.cpuUsPerRequest ?? 0).toFixed(0)} us CPU/req, tracked ${r.tracked}, lost ${r.lost}`
          : `${Math.round(r.eventsPerSec)} ev/s, ${r.cpuUsPerEvent.toFixed(2)} us/ev, ${r.peakRssMb.toFixed(0)} MB, lost ${r.lost}, dup ${r.duplicates}`;
      process.stdout.write(`  ${r.scenario} #${r.run + 1} ${r.sdk.padEnd(8)} ${figures}\n`);
    });
    const summaries = summarize(results);
    const targets = checkTargets(summaries);
    const elapsedS = (Date.now() - startedAt.getTime()) / 1000;
    process.stdout.write(`\nMedians of ${config.runs} runs:\n${formatTable(summaries)}\n`);
    process.stdout.write(`\nTargets:\n${formatTargets(targets)}\n`);
    const dir = fileURLToPath(new URL('../results/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    const file = `${dir}${startedAt.toISOString().replace(/[:.]/g, '-')}.json`;
    const machine = {
      node: process.version,
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model,
      loadavgAtStart,
      loadavgAtEnd: loadavg(),
    };
    writeFileSync(
      file,
      `${JSON.stringify({ startedAt, elapsedS, machine, config, summaries, targets, results }, null, 2)}\n`,
    );
    process.stdout.write(
      `\n${results.length} runs in ${elapsedS.toFixed(0)} s (load average ${loadText(loadavgAtStart)} at the start, ${loadText(machine.loadavgAtEnd)} at the end); raw results: ${file}\n`,
    );
  } finally {
    await sink.close();
  }
}

const loadText = (load: number[]) => load.map((x) => x.toFixed(1)).join(' ');

main().catch((error) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
