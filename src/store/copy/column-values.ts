import type { ColumnKind } from './copy-tables';

/**
 * A SQLite value as the PostgreSQL column takes it: epoch milliseconds become a `Date`
 * (timestamptz), 0/1 a boolean, a BLOB stays bytes (bytea, sent as a binary parameter). Text is left
 * to the pool, which stores a U+0000 as U+FFFD (see `storable` in ../postgres/pool.ts).
 */
export function postgresValue(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'time':
      return new Date(Number(value));
    case 'boolean':
      return Number(value) !== 0;
    case 'bytes':
      return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    case 'json':
      return typeof value === 'string' ? jsonbText(value) : value;
    default:
      return value;
  }
}

/**
 * JSON text fit for jsonb. jsonb refuses the escape `\u0000` (PostgreSQL text cannot hold U+0000),
 * and the pool's mapping never sees it, since it is six plain characters in the JSON: strings
 * are rewritten as the service's own writes would have stored them, with U+FFFD. jsonb keeps no
 * formatting or key order, so writing the JSON again loses nothing it would have kept.
 */
function jsonbText(text: string): string {
  if (!text.includes('\\u0000')) return text;
  return JSON.stringify(JSON.parse(text), (_key, v: unknown) => (typeof v === 'string' ? withoutNul(v) : v));
}

/**
 * A value as both sides can compare it: the source's as PostgreSQL would store it, the target's as
 * node-postgres reads it (a `Date` for timestamptz).
 */
export function comparable(kind: ColumnKind, value: unknown, side: 'source' | 'target'): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.getTime();
  if (side === 'source' && kind === 'text' && typeof value === 'string') return withoutNul(value);
  return value;
}

function withoutNul(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD');
}
