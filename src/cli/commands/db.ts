import { cliConfig } from '../context';
import { schemaOf, type SchemaReport } from '../../store/schema';
import type { CommandContext } from './command-context';

/**
 * `wa-onboard db status`: which database the settings name (DATABASE_URL, or the SQLite file in
 * DATA_DIR) and how far its schema is against this release. Exits 1 when it is not the release's.
 */
export async function dbStatusCommand({ env, out }: CommandContext): Promise<number> {
  const report = await schemaOf(cliConfig(env), { migrate: false });
  out.line(`${report.backend === 'postgres' ? 'PostgreSQL' : 'SQLite'}: ${report.where}`);
  const current = report.applied === report.known;
  if (current) out.mark('pass', 'Schema up to date', `version ${report.applied}`);
  else if (report.applied < report.known) {
    out.mark('fail', `Schema at version ${report.applied} of ${report.known}`, `${report.known - report.applied} migration(s) to apply`, 'Run `wa-onboard db migrate`.');
  } else {
    out.mark('fail', `Schema at version ${report.applied}, newer than this release (${report.known})`, undefined, 'Run the release of wa-onboard that migrated it.');
  }
  out.result({ ok: current, ...summary(report) });
  return current ? 0 : 1;
}

/**
 * `wa-onboard db migrate`: applies this release's migrations, under the database's lock so it can
 * run while instances start. The release step for DATABASE_MIGRATE=off.
 */
export async function dbMigrateCommand({ env, out }: CommandContext): Promise<number> {
  const report = await schemaOf(cliConfig(env), { migrate: true });
  out.line(`${report.backend === 'postgres' ? 'PostgreSQL' : 'SQLite'}: ${report.where}`);
  if (report.applied > report.known) {
    out.mark('fail', `Schema at version ${report.applied}, newer than this release (${report.known})`, undefined, 'Run the release of wa-onboard that migrated it.');
    out.result({ ok: false, ...summary(report) });
    return 1;
  }
  out.mark('pass', report.appliedNow > 0 ? `Applied ${report.appliedNow} migration(s)` : 'Nothing to apply', `schema version ${report.applied}`);
  out.result({ ok: true, ...summary(report) });
  return 0;
}

function summary(report: SchemaReport) {
  return { backend: report.backend, where: report.where, version: report.applied, releaseVersion: report.known, appliedNow: report.appliedNow };
}
