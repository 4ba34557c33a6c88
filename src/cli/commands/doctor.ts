import type { CheckResult } from '../doctor/check';
import { runDoctor } from '../doctor/run-doctor';
import type { CommandContext } from './command-context';

/** `wa-onboard doctor`: the checklist, one line per check as it ends. Exit 0 only when none failed. */
export async function doctorCommand({ env, out }: CommandContext): Promise<number> {
  out.line('Checking the deployment (nothing here changes a setting or sends a message):');
  const results = await runDoctor(env, (r: CheckResult) => out.mark(r.status, r.title, r.detail, r.fix));
  const failed = results.filter((r) => r.status === 'fail').length;
  const skipped = results.filter((r) => r.status === 'skip').length;
  out.line('');
  out.line(
    failed === 0
      ? `All ${results.length - skipped} checks passed${skipped ? `, ${skipped} skipped` : ''}.`
      : `${failed} of ${results.length} checks failed; fix them from the top, then run doctor again.`,
  );
  out.result({ ok: failed === 0, checks: results });
  return failed === 0 ? 0 : 1;
}
