import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { migrations as postgresMigrations } from '../../src/store/postgres/migrations';
import { DATABASE_FILE } from '../../src/store/sqlite/database';
import { migrations as sqliteMigrations } from '../../src/store/sqlite/migrations';
import { describeEachBackend, type TestDatabase } from './backends';
import { HOOK_A, HOOK_B } from './shared';

// A database from the release before dead letters: its rejected forwards become dead letters.

const T0 = new Date('2025-02-12T00:00:00.000Z');
const MARK = 'Dead letters, replay and backfill (issue 15)';

/** The rows a release before dead letters left: a sent forward, two rejected, one a repeat of another (no constraint then). */
const ROWS = `
  INSERT INTO webhook_events (id, key, inbox_id, kind, type, phone_number_id, received_at, event)
    VALUES (1, 'message:a', 1, 'message', 'text', '106540352242922', @t0, '{"id":"message:a"}'),
           (2, 'message:b', 1, 'message', 'text', '106540352242922', @t0, '{"id":"message:b"}');
  INSERT INTO webhook_forwards (id, event_id, target, lane, status, attempts, next_attempt_at, last_error, created_at)
    VALUES (1, 1, @hookA, '106540352242922', 'sent', 1, @t0, NULL, @t0),
           (2, 2, @hookA, '106540352242922', 'rejected', 1, @t0, 'the target answered HTTP 422', @t0),
           (3, 2, @hookB, '106540352242922', 'rejected', 2, @t0, 'the target answered HTTP 400', @t0),
           (4, 2, @hookB, '106540352242922', 'pending', 0, @t0, NULL, @t0);
`;

/** The database as the release before left it: every migration up to dead letters applied, and ROWS. */
async function before(db: TestDatabase): Promise<void> {
  const values: Record<string, string> = { '@t0': '', '@hookA': HOOK_A, '@hookB': HOOK_B };
  if (db.location.backend === 'sqlite') {
    const sqlite = new Database(path.join(db.location.dir, DATABASE_FILE));
    const upTo = sqliteMigrations.findIndex((m) => m.includes(MARK));
    for (const migration of sqliteMigrations.slice(0, upTo)) sqlite.exec(migration);
    sqlite.pragma(`user_version = ${upTo}`);
    sqlite.exec(fill(ROWS, { ...values, '@t0': String(T0.getTime()) }, (v) => (/^\d+$/.test(v) ? v : `'${v}'`)));
    sqlite.close();
    return;
  }
  const client = new pg.Client({ connectionString: db.location.url });
  await client.connect();
  try {
    const upTo = postgresMigrations.findIndex((m) => m.includes(MARK));
    await client.query(`CREATE TABLE wa_onboard_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    for (const [n, migration] of postgresMigrations.slice(0, upTo).entries()) {
      await client.query(migration);
      await client.query(`INSERT INTO wa_onboard_migrations (version) VALUES ($1)`, [n + 1]);
    }
    await client.query(fill(ROWS, { ...values, '@t0': T0.toISOString() }, (v) => `'${v}'`));
  } finally {
    await client.end();
  }
}

function fill(sql: string, values: Record<string, string>, literal: (value: string) => string): string {
  return sql.replace(/@\w+/g, (name) => literal(values[name] ?? ''));
}

describeEachBackend('an upgrade to dead letters', (database) => {
  it('keeps each rejected forward as a dead letter (given up when it was queued), counted, and one forward per event and target', async () => {
    await before(database());
    const { webhooks } = await database().open();

    expect((await webhooks.listDeadLetters({ limit: 10 })).map((d) => [d.target, d.eventId, d.status, d.givenUpAt])).toEqual([
      [HOOK_B, 'message:b', 'rejected', T0],
      [HOOK_A, 'message:b', 'rejected', T0],
    ]);
    expect(await webhooks.deadLetterCounts()).toEqual(
      expect.arrayContaining([
        { target: HOOK_A, status: 'rejected', count: 1 },
        { target: HOOK_B, status: 'rejected', count: 1 },
      ]),
    );
    // The repeat of the second event's forward to HOOK_B is gone: the first of them stays.
    expect(await webhooks.pendingTargets()).toEqual([]);
  });
});
