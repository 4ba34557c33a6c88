// `npm run audit`: npm audit, failing on a high or critical advisory. When the registry's advisory
// endpoint cannot be reached (some mirrors answer 405), it says so and passes: nothing was found
// because nothing could be asked, and RELIABILITY.md holds the last review made by hand.
import { spawnSync } from 'node:child_process';

interface AuditReport {
  metadata?: { vulnerabilities?: Record<string, number> };
  vulnerabilities?: Record<string, { severity: string; via: unknown[]; fixAvailable: unknown }>;
  statusCode?: number;
  message?: string;
  error?: { summary?: string };
}

const run = spawnSync('npm', ['audit', '--json'], { encoding: 'utf8' });
let report: AuditReport;
try {
  report = JSON.parse(run.stdout) as AuditReport;
} catch {
  process.stderr.write(`npm audit gave no report (exit ${run.status}):\n${run.stderr}\n`);
  process.exit(1);
}

const counts = report.metadata?.vulnerabilities;
if (!counts) {
  process.stdout.write(
    `npm audit could not reach the advisory database: ${report.message ?? report.error?.summary ?? 'no answer'}. ` +
      'Nothing was checked; see RELIABILITY.md for the last review by hand.\n',
  );
  process.exit(0);
}

const serious = Object.entries(report.vulnerabilities ?? {}).filter(([, v]) => v.severity === 'high' || v.severity === 'critical');
process.stdout.write(`npm audit: ${Object.entries(counts).map(([level, n]) => `${n} ${level}`).join(', ')}\n`);
for (const [name, v] of serious) process.stdout.write(`  ${v.severity}: ${name} (fix available: ${JSON.stringify(v.fixAvailable)})\n`);
process.exit(serious.length > 0 ? 1 : 0);
