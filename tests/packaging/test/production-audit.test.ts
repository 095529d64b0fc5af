import { expect, it } from 'vitest';
import { runProcess } from './support/run-process.js';
import { REPO_ROOT } from './support/workspace.js';

// `pnpm audit --prod`: the production dependencies of every workspace package (the public
// packages' own are only @cohorly/*; the example apps' add their frameworks) checked
// against the registry's advisory database. It needs the registry's audit endpoint: when that
// cannot be reached the test is SKIPPED, with the reason, never passed.

interface AuditReport {
  error?: { code: string; message: string };
  advisories?: Record<
    string,
    {
      module_name: string;
      severity: string;
      title: string;
      url: string;
      findings: Array<{ paths: string[] }>;
    }
  >;
  metadata?: { vulnerabilities: Record<string, number> };
}

// The endpoint did not answer an audit (network failure, or a registry or mirror without it).
const UNREACHABLE =
  /ERR_PNPM_AUDIT_BAD_RESPONSE|ERR_PNPM_AUDIT_ENDPOINT|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|fetch failed/;

it('finds no known vulnerability in production dependencies (pnpm audit --prod)', async (context) => {
  const result = await runProcess('pnpm', ['audit', '--prod', '--json'], {
    cwd: REPO_ROOT,
    timeoutMs: 120_000,
    // The repository's own pnpm configuration (registry, proxy), as `pnpm audit` in a shell.
    inheritEnv: true,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  let report: AuditReport | undefined;
  try {
    report = JSON.parse(result.stdout) as AuditReport;
  } catch {
    report = undefined;
  }
  if (result.code !== 0 && UNREACHABLE.test(output)) {
    const reason = report?.error?.message ?? output.trim().split('\n')[0];
    const note = `NOT AUDITED: pnpm audit --prod could not get an answer from the registry's audit endpoint (${report?.error?.code ?? 'network error'}: ${reason})`;
    // Printed as well: the default reporter shows a skip, not its note.
    console.warn(note);
    context.skip(note);
  }
  expect(report, `pnpm audit printed no JSON report:\n${output}`).toBeDefined();
  const found = Object.values(report!.advisories ?? {}).map(
    (advisory) =>
      `${advisory.severity} ${advisory.module_name}: ${advisory.title} (${advisory.url}) via ${advisory.findings.flatMap((finding) => finding.paths).join(', ')}`,
  );
  expect(found).toEqual([]);
  expect(report!.metadata?.vulnerabilities).toBeDefined();
  expect(Object.values(report!.metadata!.vulnerabilities).every((count) => count === 0)).toBe(true);
  expect(result.code).toBe(0);
});
