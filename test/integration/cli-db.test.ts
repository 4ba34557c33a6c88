import pg from 'pg';
import Database from 'better-sqlite3';
import path from 'node:path';
import { migrations as postgresMigrations } from '../../src/store/postgres/migrations';
import { migrations as sqliteMigrations } from '../../src/store/sqlite/migrations';
import { runCommand } from '../helpers/cli';
import { freshSchema, testPostgresUrl, type TestSchema } from '../helpers/postgres/test-schema';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

/** `wa-onboard db status` and `db migrate`, on the SQLite file and on PostgreSQL. */

interface SchemaResult {
  ok: boolean;
  backend: string;
  version: number;
  releaseVersion: number;
  appliedNow: number;
}

let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => removeTempDir(dir));

describe('wa-onboard db, on the SQLite file in DATA_DIR', () => {
  it('says a database not created yet is behind, creating nothing, then migrate brings it up to date', async () => {
    const env = { DATA_DIR: dir };
    const before = await runCommand(['db', 'status'], env);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain(`SQLite: ${path.join(dir, 'wa-onboard.sqlite')} (not created yet)`);
    expect(before.stdout).toContain('Run `wa-onboard db migrate`.');

    const migrated = await runCommand(['--json', 'db', 'migrate'], env);
    expect(migrated.code).toBe(0);
    expect(migrated.json<SchemaResult>()).toMatchObject({ ok: true, backend: 'sqlite', version: sqliteMigrations.length, appliedNow: sqliteMigrations.length });

    const after = await runCommand(['db', 'status'], env);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain(`Schema up to date: version ${sqliteMigrations.length}`);
    expect((await runCommand(['--json', 'db', 'migrate'], env)).json<SchemaResult>().appliedNow).toBe(0);
  });

  it('refuses a schema newer than this release', async () => {
    await runCommand(['db', 'migrate'], { DATA_DIR: dir });
    const db = new Database(path.join(dir, 'wa-onboard.sqlite'));
    db.pragma('user_version = 99');
    db.close();
    const status = await runCommand(['db', 'status'], { DATA_DIR: dir });
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('Schema at version 99, newer than this release');
    expect((await runCommand(['db', 'migrate'], { DATA_DIR: dir })).code).toBe(1);
  });
});

(testPostgresUrl() ? describe : describe.skip)('wa-onboard db, on PostgreSQL at DATABASE_URL', () => {
  let schema: TestSchema;
  beforeEach(async () => {
    schema = await freshSchema();
  });
  afterEach(() => schema.drop());

  it('reads the schema of an empty database, migrates it, and says so', async () => {
    const env = { DATA_DIR: dir, DATABASE_URL: schema.url };
    const before = await runCommand(['--json', 'db', 'status'], env);
    expect(before.code).toBe(1);
    expect(before.json<SchemaResult>()).toMatchObject({ ok: false, backend: 'postgres', version: 0, releaseVersion: postgresMigrations.length });

    const migrated = await runCommand(['db', 'migrate'], env);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain(`Applied ${postgresMigrations.length} migration(s)`);
    expect((await runCommand(['db', 'status'], env)).code).toBe(0);
  });

  it('names DATABASE_URL, its password masked, when the database does not exist', async () => {
    const url = new URL(schema.url);
    url.pathname = '/missing_db';
    url.password = 'pw-never-shown';
    url.username = 'postgres';
    const run = await runCommand(['db', 'status'], { DATA_DIR: dir, DATABASE_URL: url.toString() });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('DATABASE_URL=postgres://postgres:***@');
    expect(run.stdout).toContain('the database does not exist');
    expect(run.stdout).not.toContain('pw-never-shown');
  });

  it('leaves a newer schema alone', async () => {
    await runCommand(['db', 'migrate'], { DATA_DIR: dir, DATABASE_URL: schema.url });
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    await client.query('INSERT INTO wa_onboard_migrations (version) VALUES (99)');
    await client.end();
    const migrate = await runCommand(['db', 'migrate'], { DATA_DIR: dir, DATABASE_URL: schema.url });
    expect(migrate.code).toBe(1);
    expect(migrate.stdout).toContain('newer than this release');
  });
});
