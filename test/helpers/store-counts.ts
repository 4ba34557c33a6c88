import { createHmac, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../../src/store/sqlite-database';
import { META } from './harness';

export interface StoreCounts {
  inbox: number;
  calls: number;
  codes: number;
  callSids: string[];
  /** Inbox rows whose body does not match their signature under Meta's app secret. */
  unverifiedInboxRows: number[];
}

/** Read straight from the SQLite file, read-only, not through the service. */
export function storeCounts(dataDir: string): StoreCounts {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const rows = db.prepare('SELECT id, body, signature FROM webhook_inbox').all() as Array<{ id: number; body: Buffer; signature: string | null }>;
    return {
      inbox: count('webhook_inbox'),
      calls: count('calls'),
      codes: count('codes'),
      callSids: (db.prepare('SELECT call_sid FROM calls').all() as Array<{ call_sid: string }>).map((r) => r.call_sid),
      unverifiedInboxRows: rows.filter((r) => !signedByMeta(r.body, r.signature)).map((r) => r.id),
    };
  } finally {
    db.close();
  }
}

function signedByMeta(body: Buffer, signature: string | null): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', META.appSecret).update(body).digest('hex')}`);
  const given = Buffer.from((signature ?? '').toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
