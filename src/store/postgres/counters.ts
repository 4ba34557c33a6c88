import type { Query } from './pool';

/** Adds to running totals in `webhook_counters` (one statement for them all). */
export async function bumpCounters(query: Query, counters: Array<{ name: string; by: number }>): Promise<void> {
  const nonZero = counters.filter((c) => c.by !== 0);
  if (nonZero.length === 0) return;
  await query(
    `INSERT INTO webhook_counters (name, value) SELECT * FROM unnest($1::text[], $2::bigint[])
     ON CONFLICT (name) DO UPDATE SET value = webhook_counters.value + excluded.value`,
    [nonZero.map((c) => c.name), nonZero.map((c) => c.by)],
  );
}

/** Sets single values in `webhook_counters`. */
export async function setCounters(query: Query, marks: Array<{ name: string; value: number }>): Promise<void> {
  if (marks.length === 0) return;
  await query(
    `INSERT INTO webhook_counters (name, value) SELECT * FROM unnest($1::text[], $2::bigint[])
     ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
    [marks.map((m) => m.name), marks.map((m) => m.value)],
  );
}

export async function allCounters(query: Query): Promise<Map<string, number>> {
  const rows = await query<{ name: string; value: number }>(`SELECT name, value FROM webhook_counters`);
  return new Map(rows.map((r) => [r.name, r.value]));
}
