import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import pino from 'pino';
import { openPostgresStores } from '../../src/store/postgres/open';
import { SchemaError } from '../../src/store/schema-error';
import { DATABASE_FILE } from '../../src/store/sqlite/database';
import { StoreError } from '../../src/store/store-error';
import type { Stores } from '../../src/store/stores';
import { LOCKS } from '../../src/store/postgres/locks';
import { fixtureWire } from '../helpers/meta-wire';
import { dispatchOnce, inboxRecord } from './dispatch-helpers';
import { describeEachBackend, onlyOn, type TestDatabase } from './backends';

// How the stores fail: typed, transient when waiting helps, and never on a schema they do not know.

const T0 = new Date('2025-06-01T10:00:00.000Z');
const CALL = { callSid: `CA${'e'.repeat(32)}`, from: '+16505550100', to: '+14155550123' };

/** What a call came to: the string `answered`, or the error it rejected with. */
async function outcomeOf(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => 'answered',
    (error: unknown) => error,
  );
}

/** Runs `sql` on a connection of its own, outside the stores. */
async function outside<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Marks the database as migrated by a release newer than this one. */
async function migrateToTheFuture(location: TestDatabase['location']): Promise<void> {
  if (location.backend === 'postgres') {
    await outside(location.url, `INSERT INTO wa_onboard_migrations (version) VALUES (99)`);
    return;
  }
  const db = new Database(path.join(location.dir, DATABASE_FILE));
  try {
    db.pragma('user_version = 99');
  } finally {
    db.close();
  }
}

describeEachBackend('store errors', (database, backend) => {
  it('refuses to open a database whose schema is newer than this release', async () => {
    await (await database().open()).close();
    await migrateToTheFuture(database().location);

    await expect(database().open()).rejects.toBeInstanceOf(SchemaError);
  });

  onlyOn('sqlite', backend)('rejects a write with a transient StoreError while another connection holds the SQLite file locked', async () => {
    const { location } = database();
    if (location.backend !== 'sqlite') throw new Error('a SQLite test ran on PostgreSQL');
    const stores = await database().open();
    const other = new Database(path.join(location.dir, DATABASE_FILE));
    try {
      other.exec('BEGIN EXCLUSIVE');
      const failure = await outcomeOf(stores.calls.recordCall(CALL, T0));
      expect(failure).toBeInstanceOf(StoreError);
      expect(failure).toMatchObject({ transient: true, code: 'SQLITE_BUSY' });

      other.exec('COMMIT');
      await stores.calls.recordCall(CALL, T0);
      expect(await stores.calls.latestCall()).toMatchObject({ callSid: CALL.callSid });
    } finally {
      other.close();
    }
  });

  if (backend === 'postgres') describe('when the PostgreSQL server closes the connections of the stores', () => {
    // An application name of its own: the connections cut here are this test's, not those of the
    // tests running alongside on the same cluster (the service's own name is the same for all).
    const name = `wa-onboard-${randomBytes(4).toString('hex')}`;
    let stores: Stores;
    let admin: pg.Client;

    beforeEach(async () => {
      const { location } = database();
      if (location.backend !== 'postgres') throw new Error('a PostgreSQL test ran on SQLite');
      const url = new URL(location.url);
      url.searchParams.set('application_name', name);
      stores = await openPostgresStores({ url: url.toString(), poolMax: 4, migrate: true, instance: name, logger: pino({ level: 'silent' }) });
      admin = new pg.Client({ connectionString: location.url });
      await admin.connect();
    });
    afterEach(async () => {
      await admin.end();
      await stores.close();
    });

    /** Ends every connection of the stores (the pool's and the listener's); resolves with their pids. */
    async function cutConnections(): Promise<number[]> {
      // In the select list, not the WHERE: a condition there may be evaluated before the others, on every row.
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
        [name],
      );
      expect(rows.length).toBeGreaterThan(0);
      return rows.map((row) => row.pid);
    }

    /** Waits, by asking and never by sleeping, until the query `sql` answers `yes`. */
    async function until(sql: string, params: unknown[]): Promise<void> {
      for (let asked = 0; asked < 1_000; asked++) {
        const { rows } = await admin.query<{ yes: boolean }>(sql, params);
        if (rows[0]?.yes === true) return;
      }
      throw new Error(`still not so: ${sql}`);
    }

    it('answers, or fails transiently, at the next call, and recovers without a reopen', async () => {
      await stores.calls.recordCall(CALL, T0);
      const pids = await cutConnections();
      await until(`SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1::int[])) AS yes`, [pids]);

      const next = await outcomeOf(stores.calls.callState(CALL.callSid));
      if (next !== 'answered') {
        expect(next).toBeInstanceOf(StoreError);
        expect(next).toMatchObject({ transient: true });
      }
      expect(await stores.calls.callState(CALL.callSid)).toEqual({ hasCode: false, fallback: false });
    });

    it('fails a call cut in the middle with a transient StoreError, and answers the next', async () => {
      await stores.webhooks.appendToInbox([inboxRecord(fixtureWire('text'), T0)]);
      // The dispatch waits for the lock the other instances' dispatch takes; it is cut while it waits.
      await admin.query(`SELECT pg_advisory_lock(hashtext(current_schema()), $1)`, [LOCKS.dispatch]);
      const dispatching = outcomeOf(dispatchOnce(stores.webhooks, { targets: [], now: T0 }));
      await until(`SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event = 'advisory') AS yes`, [name]);
      await cutConnections();
      await admin.query(`SELECT pg_advisory_unlock(hashtext(current_schema()), $1)`, [LOCKS.dispatch]);

      const failure = await dispatching;
      expect(failure).toBeInstanceOf(StoreError);
      expect(failure).toMatchObject({ transient: true, code: '57P01' });
      expect(await dispatchOnce(stores.webhooks, { targets: [], now: T0 })).toMatchObject({ posts: 1 });
    });
  });
});
