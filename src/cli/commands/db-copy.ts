import { ConfigError, maskedDatabaseUrl, type Config, type DatabaseSettings, type Env } from '../../config';
import { CopyRefusedError } from '../../store/copy/copy-refused';
import type { TableCount } from '../../store/copy/copy-table';
import { copySqliteToPostgres, type CopyReport } from '../../store/copy/sqlite-to-postgres';
import { DatabaseUnavailableError } from '../../store/postgres/connect-failure';
import { cliConfig } from '../context';
import type { OutputStream } from '../io';
import type { Output } from '../output';
import type { CommandContext } from './command-context';

export interface DbCopyOptions {
  from?: string;
  to?: string;
}

/** A table this large shows its progress while it is copied. */
const PROGRESS_EVERY = 5_000;

/**
 * `wa-onboard db copy`: moves a SQLite deployment (the file in --from, default DATA_DIR) into an
 * empty PostgreSQL database (--to, default DATABASE_URL). Safe to run again: it adds only what the
 * target lacks, and refuses a target that holds anything else.
 */
export async function dbCopyCommand({ env, out, io }: CommandContext, options: DbCopyOptions): Promise<number> {
  const { fromDir, toUrl, toSetting } = endpoints(env, options);
  const progress = copyProgress(io.stderr, out.json);
  // Until the target is taken for this source, a failure has written nothing to it.
  let targetTaken = false;
  try {
    const report = await copySqliteToPostgres(fromDir, toUrl, {
      started({ source, schemaVersion, migrationsApplied, start }) {
        targetTaken = true;
        out.line(`Copying ${source} (schema version ${schemaVersion})`);
        out.line(`   into ${maskedDatabaseUrl(toUrl)}`);
        if (migrationsApplied > 0) out.mark('pass', 'Target schema created', `${migrationsApplied} migration(s) applied`);
        if (start.resumed) out.mark('info', 'Resuming', `this file was first copied here at ${start.firstStartedAt.toISOString()}: only what is missing is added`);
      },
      progress: progress.update,
      tableDone(table, count) {
        progress.clear();
        out.mark('pass', table, describeCount(count));
      },
    });
    summarise(out, report);
    out.result({ ok: true, ...report });
    return 0;
  } catch (error) {
    progress.clear();
    if (error instanceof CopyRefusedError) return fail(out, { message: error.message, fix: error.fix, changedNothing: !targetTaken }, toUrl);
    if (error instanceof DatabaseUnavailableError && toSetting === '--to') {
      // The error names DATABASE_URL, which is not where this URL came from.
      const message = `cannot use the database at --to ${maskedDatabaseUrl(toUrl)}: ${error.reason}`;
      return fail(out, { message, fix: 'Check the URL given with --to, and that PostgreSQL is up and reachable from here.', changedNothing: true }, toUrl);
    }
    throw error;
  }
}

/**
 * Where from and where to. The configuration is read only for what the flags leave out: with both
 * given, the command runs on a machine that has none of the service's settings.
 */
function endpoints(env: Env, options: DbCopyOptions): { fromDir: string; toUrl: string; toSetting: 'DATABASE_URL' | '--to' } {
  let config: Config | undefined;
  const settings = () => (config ??= cliConfig(env));
  const fromDir = options.from ?? settings().dataDir;
  const toUrl = options.to ?? postgresUrlOf(settings().database);
  if (!toUrl) throw new ConfigError(['no PostgreSQL database to copy into: set DATABASE_URL, or pass --to <url>']);
  if (!/^postgres(ql)?:\/\//i.test(toUrl)) throw new ConfigError([`--to must be a postgres:// or postgresql:// URL, not ${maskedDatabaseUrl(toUrl)}`]);
  return { fromDir, toUrl, toSetting: options.to === undefined ? 'DATABASE_URL' : '--to' };
}

function postgresUrlOf(database: DatabaseSettings): string | undefined {
  return database.kind === 'postgres' ? database.url : undefined;
}

function summarise(out: Output, report: CopyReport): void {
  const counts = Object.values(report.tables);
  const copied = counts.reduce((sum, c) => sum + c.copied, 0);
  const skipped = counts.reduce((sum, c) => sum + c.skipped, 0);
  const already = skipped > 0 ? `, ${skipped} already there` : '';
  out.mark('pass', 'Copy complete', `${copied} row(s) copied${already}, into ${report.target}`);
  out.line('Next: once the service on SQLite has stopped, start it with DATABASE_URL set to this database.');
  out.line('This copy holds what the SQLite file held when it began. Run again, it adds the rows stored since, not changes to rows already copied.');
}

function describeCount({ copied, skipped }: TableCount): string {
  return skipped > 0 ? `${copied} copied, ${skipped} already there` : `${copied} copied`;
}

function fail(out: Output, failure: { message: string; fix: string; changedNothing: boolean }, toUrl: string): number {
  out.mark('fail', failure.message, failure.changedNothing ? 'nothing was changed' : 'the tables copied before this one keep their new rows', failure.fix);
  out.result({ ok: false, target: maskedDatabaseUrl(toUrl), error: failure.message });
  return 1;
}

/**
 * Progress of a large table, on stderr so stdout keeps the result (as the waits of progress.ts): on
 * a terminal one line rewritten after each page; elsewhere (CI logs, pipes) a plain line every
 * 5,000 rows. Nothing with --json.
 */
function copyProgress(stream: OutputStream, quiet: boolean) {
  const tty = stream.isTTY === true;
  let showing = false;
  let noted = 0;
  return {
    update: (table: string, done: number, total: number) => {
      if (quiet || total < PROGRESS_EVERY) return;
      if (tty) {
        stream.write(`\r\x1b[2K  ${table}: ${done} of ${total} rows`);
        showing = true;
      } else if (done < total && Math.floor(done / PROGRESS_EVERY) > Math.floor(noted / PROGRESS_EVERY)) {
        stream.write(`  ${table}: ${done} of ${total} rows\n`);
        noted = done;
      }
    },
    clear: () => {
      if (showing) stream.write('\r\x1b[2K');
      showing = false;
      noted = 0;
    },
  };
}
