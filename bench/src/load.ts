import autocannon from 'autocannon';

/**
 * The load generator, in its own process so that it does not share an event loop with the
 * app it measures: `node load.js <url> <seconds> <connections> [headers-json] [rate]`
 * prints autocannon's figures as one JSON line. A `rate` above 0 paces the whole load at
 * that many requests per second; otherwise it is as fast as the app answers.
 */
async function main(): Promise<void> {
  const [url, seconds, connections, headers, rate] = process.argv.slice(2);
  const result = await autocannon({
    url: url!,
    duration: Number(seconds),
    connections: Number(connections),
    headers: headers ? (JSON.parse(headers) as Record<string, string>) : {},
    ...(Number(rate) > 0 ? { overallRate: Number(rate) } : {}),
  });
  const summary = {
    requestsPerSec: result.requests.average,
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    durationS: result.duration,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
