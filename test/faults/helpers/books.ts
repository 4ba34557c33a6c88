import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../../../src/store/sqlite/database';

/** A delivery of a code or a "no code heard" notice, as the store records it. */
export interface DeliveryRow {
  kind: 'code' | 'missed-call';
  channel: 'email' | 'sms';
  recipient: string;
  status: string;
  attempts: number;
  last_error: string | null;
}

/**
 * What the service's SQLite file says, read the way an auditor would: from outside the process,
 * read-only, a fresh connection per question (so no test holds a lock the service would wait on).
 */
export class Books {
  constructor(private readonly dataDir: string) {}

  private ask<T>(query: (db: Database.Database) => T): T {
    const file = path.join(this.dataDir, DATABASE_FILE);
    if (!fs.existsSync(file)) throw new Error(`no database at ${file}`);
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return query(db);
    } finally {
      db.close();
    }
  }

  /** The wamids of every message event the store holds (one per message: events are deduplicated). */
  storedMessageIds(): Set<string> {
    const rows = this.ask((db) => db.prepare(`SELECT key FROM webhook_events WHERE kind = 'message'`).pluck().all() as string[]);
    return new Set(rows.map((key) => key.replace(/^message:/, '')));
  }

  /** The wamids in the inbox's raw POSTs: what was stored before any 200. */
  inboxMessageIds(): Set<string> {
    const bodies = this.ask((db) => db.prepare('SELECT body FROM webhook_inbox').pluck().all() as Buffer[]);
    const ids = new Set<string>();
    for (const body of bodies) for (const match of body.toString('utf8').matchAll(/"id":"(wamid\.[^"]+)"/g)) ids.add(match[1] ?? '');
    return ids;
  }

  inboxRows(): number {
    return this.ask((db) => db.prepare('SELECT count(*) FROM webhook_inbox').pluck().get() as number);
  }

  /** Inbox rows by state: pending, dispatched, invalid. */
  inboxStates(): Record<string, number> {
    const rows = this.ask((db) => db.prepare('SELECT state, count(*) AS n FROM webhook_inbox GROUP BY state').all() as Array<{ state: string; n: number }>);
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** Forwards by status: pending, sent, rejected. */
  forwardStates(): Record<string, number> {
    const rows = this.ask((db) => db.prepare('SELECT status, count(*) AS n FROM webhook_forwards GROUP BY status').all() as Array<{ status: string; n: number }>);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  calls(): number {
    return this.ask((db) => db.prepare('SELECT count(*) FROM calls').pluck().get() as number);
  }

  codes(): string[] {
    return this.ask((db) => db.prepare('SELECT code FROM codes ORDER BY id').pluck().all() as string[]);
  }

  /** Every delivery, notices included (a notice is cancelled when its call's code comes). */
  deliveries(): DeliveryRow[] {
    return this.ask(
      (db) => db.prepare('SELECT kind, channel, recipient, status, attempts, last_error FROM deliveries ORDER BY id').all() as DeliveryRow[],
    );
  }
}
