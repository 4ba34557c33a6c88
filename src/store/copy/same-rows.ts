import type { Query } from '../postgres/pool';
import { comparable } from './column-values';
import { CopyRefusedError } from './copy-refused';
import { quoted, type CopiedTable } from './copy-tables';
import type { SourceRow } from './sqlite-snapshot';

/**
 * Rows of the source the target already had (ON CONFLICT skipped them) must be the source's own
 * rows, copied by an earlier run. Ids are numbered by each database on its own: once a service has
 * written to the target, its row 42 and the SQLite file's row 42 are strangers, and skipping one for
 * the other would hang the source's deliveries or forwards on the wrong parent. Refused instead.
 * Only for tables keyed by id (`sameRowBy` set): a natural key names the same thing on both sides.
 */
export async function requireSameRows(query: Query, table: CopiedTable, skipped: SourceRow[]): Promise<void> {
  if (table.sameRowBy.length === 0 || skipped.length === 0) return;
  const kinds = new Map(table.columns);
  const columns = [table.key, ...table.sameRowBy];
  const found = await query<Record<string, unknown>>(
    `SELECT ${columns.map(quoted).join(', ')} FROM ${quoted(table.name)} WHERE ${quoted(table.key)} = ANY($1::bigint[])`,
    [skipped.map((row) => row[table.key])],
  );
  const there = new Map(found.map((row) => [Number(row[table.key]), row]));
  for (const row of skipped) {
    const id = Number(row[table.key]);
    const theirs = there.get(id);
    const same =
      theirs !== undefined &&
      table.sameRowBy.every((column) => {
        const kind = kinds.get(column) ?? 'text';
        return comparable(kind, row[column], 'source') === comparable(kind, theirs[column], 'target');
      });
    if (!same) {
      throw new CopyRefusedError(
        theirs === undefined
          ? `${table.name} row ${id} of the SQLite file is already in the target under another id: something else has written to the target since it was copied into`
          : `${table.name} row ${id} in the target is not row ${id} of the SQLite file: something else has written to the target since it was copied into`,
        'copy into a new, empty database; start the service on PostgreSQL only after the last copy, as it is then the only writer',
      );
    }
  }
}
