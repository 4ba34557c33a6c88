import type Database from 'better-sqlite3';

/** Running totals and single values in `webhook_counters`; they outlive the rows pruning removes. */
export class SqliteCounters {
  private readonly add: Database.Statement<[string, number]>;
  private readonly put: Database.Statement<[string, number]>;
  private readonly every: Database.Statement<[], { name: string; value: number }>;

  constructor(db: Database.Database) {
    this.add = db.prepare(
      `INSERT INTO webhook_counters (name, value) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET value = value + excluded.value`,
    );
    this.put = db.prepare(
      `INSERT INTO webhook_counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
    );
    this.every = db.prepare(`SELECT name, value FROM webhook_counters`);
  }

  bump(name: string, by = 1): void {
    if (by !== 0) this.add.run(name, by);
  }

  set(name: string, value: number): void {
    this.put.run(name, value);
  }

  all(): Map<string, number> {
    return new Map(this.every.all().map((r) => [r.name, r.value]));
  }
}
