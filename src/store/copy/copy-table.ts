import { placeholders, type Query } from '../postgres/pool';
import { comparable, postgresValue } from './column-values';
import { quoted, type CopiedTable } from './copy-tables';
import { requireSameRows } from './same-rows';
import type { PageLimit, SourceRow, SqliteSnapshot } from './sqlite-snapshot';

/** A table's rows this run wrote, and those the target already had. */
export interface TableCount {
  copied: number;
  skipped: number;
}

/**
 * One INSERT per page: 500 rows keep each statement well under PostgreSQL's 65,535 parameters, and
 * 16 MB of text and bodies keep a page of large inbox POSTs (up to 3 MB each) from filling memory.
 */
const PAGE: PageLimit = { rows: 500, bytes: 16 * 1024 * 1024 };

/**
 * Copies `table` from the snapshot with `query` (the caller's transaction), page by page in rowid
 * order; rows the target already holds are skipped (and must be the same rows). For an identity
 * key, the sequence is then moved past the highest id, so the service's next row gets a new one.
 */
export async function copyTable(
  query: Query,
  source: SqliteSnapshot,
  table: CopiedTable,
  onPage: (done: number, total: number) => void,
): Promise<TableCount> {
  const total = source.count(table);
  const count: TableCount = { copied: 0, skipped: 0 };
  for (const page of source.pages(table, PAGE)) {
    const inserted = await insertPage(query, table, page);
    const skipped = page.filter((row) => !inserted.has(keyOf(table, row[table.key], 'source')));
    await requireSameRows(query, table, skipped);
    count.copied += page.length - skipped.length;
    count.skipped += skipped.length;
    onPage(count.copied + count.skipped, total);
  }
  if (table.identity) {
    // setval of NULL (an empty table) is no call at all: the sequence stays where it was.
    await query(`SELECT setval(pg_get_serial_sequence($1, $2), max(${quoted(table.key)})) FROM ${quoted(table.name)}`, [table.name, table.key]);
  }
  return count;
}

/** Inserts the page, skipping rows whose key (or another unique column) is taken; the keys written. */
async function insertPage(query: Query, table: CopiedTable, page: SourceRow[]): Promise<Set<unknown>> {
  const columns = table.columns.map(([column]) => quoted(column)).join(', ');
  const values = page.flatMap((row) => table.columns.map(([column, kind]) => postgresValue(kind, row[column])));
  const written = await query<{ key: unknown }>(
    `INSERT INTO ${quoted(table.name)} (${columns}) VALUES ${placeholders(page.length, table.columns.length)}
     ON CONFLICT DO NOTHING RETURNING ${quoted(table.key)} AS key`,
    values,
  );
  return new Set(written.map((row) => keyOf(table, row.key, 'target')));
}

function keyOf(table: CopiedTable, value: unknown, side: 'source' | 'target'): unknown {
  return table.identity ? Number(value) : comparable('text', value, side);
}
