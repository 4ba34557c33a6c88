import type { Query } from '../postgres/pool';
import { CopyRefusedError } from './copy-refused';
import { COPIED_TABLES, quoted } from './copy-tables';

/** What the target's `wa_onboard_copies` said of this source when the copy began. */
export type CopyStart = { resumed: false } | { resumed: true; firstStartedAt: Date };

/**
 * Takes the target for `source`, in one transaction: a target with no rows at all is recorded as
 * this source's copy; one that already records this source is copied into again (only what is
 * missing is added); anything else is refused before a row is written. The table lock keeps two
 * copies started at once from both finding the target empty.
 */
export async function claimTarget(query: Query, source: string): Promise<CopyStart> {
  await query(`LOCK TABLE wa_onboard_copies IN SHARE ROW EXCLUSIVE MODE`);
  const copies = await query<{ source: string; started_at: Date }>(`SELECT source, started_at FROM wa_onboard_copies ORDER BY started_at`);
  const others = copies.filter((c) => c.source !== source);
  if (others.length > 0) {
    throw new CopyRefusedError(
      `the target database holds a copy of another SQLite database (${others.map((c) => c.source).join(', ')}), not of ${source}`,
      'copy into an empty database, or pass --from the folder that was copied into it',
    );
  }
  const mine = copies.find((c) => c.source === source);
  if (mine) {
    await query(`UPDATE wa_onboard_copies SET finished_at = NULL WHERE source = $1`, [source]);
    return { resumed: true, firstStartedAt: mine.started_at };
  }
  const holding = await tablesWithRows(query);
  if (holding.length > 0) {
    throw new CopyRefusedError(
      `the target database is not empty: ${holding.join(', ')} already hold rows, and it records no copy of ${source}`,
      'copy into a new, empty database (or schema); a database a service already uses cannot take a second history',
    );
  }
  await query(`INSERT INTO wa_onboard_copies (source, started_at) VALUES ($1, now())`, [source]);
  return { resumed: false };
}

/** Records that the copy of `source` ran to its end. */
export async function finishCopy(query: Query, source: string): Promise<void> {
  await query(`UPDATE wa_onboard_copies SET finished_at = now() WHERE source = $1`, [source]);
}

async function tablesWithRows(query: Query): Promise<string[]> {
  // The names are the schema's own, not input: safe to write into the statement.
  const probes = COPIED_TABLES.map((t, i) => `SELECT ${i} AS n, '${t.name}' AS name WHERE EXISTS (SELECT 1 FROM ${quoted(t.name)})`);
  const rows = await query<{ name: string }>(`${probes.join(' UNION ALL ')} ORDER BY n`);
  return rows.map((r) => r.name);
}
