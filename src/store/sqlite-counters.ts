import type Database from 'better-sqlite3';

/** Running totals and single values in `webhook_counters`; they outlive the rows pruning removes. */
export class SqliteCounters {
  private readonly add: Database.Statement<[string, number]>;
  private readonly put: Database.Statement<[string, number]>;
  private readonly read: Database.Statement<[string], { value: number }>;

  constructor(db: Database.Database) {
    this.add = db.prepare(
      `INSERT INTO webhook_counters (name, value) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET value = value + excluded.value`,
    );
    this.put = db.prepare(
      `INSERT INTO webhook_counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
    );
    this.read = db.prepare(`SELECT value FROM webhook_counters WHERE name = ?`);
  }

  bump(name: string, by = 1): void {
    if (by !== 0) this.add.run(name, by);
  }

  set(name: string, value: number): void {
    this.put.run(name, value);
  }

  get(name: string): number | null {
    return this.read.get(name)?.value ?? null;
  }
}
