import pg, { DatabaseError } from 'pg';
import pino from 'pino';
import { describeConnectFailure, DatabaseUnavailableError } from '../../src/store/postgres/connect-failure';
import { migrations } from '../../src/store/postgres/migrations';
import { openPostgresStores } from '../../src/store/postgres/open';
import { SchemaError } from '../../src/store/schema-error';
import type { Stores } from '../../src/store/stores';
import { freshSchema, testPostgresUrl, type TestSchema } from '../helpers/postgres/test-schema';

/** Opening the PostgreSQL stores at start: what an operator reads when it cannot happen. */

const run = testPostgresUrl() ? describe : describe.skip;
const quiet = pino({ level: 'silent' });
const open = (url: string, migrate = true) => openPostgresStores({ url, poolMax: 3, migrate, instance: 'start-test', logger: quiet });

function withPath(url: string, change: (u: URL) => void): string {
  const parsed = new URL(url);
  change(parsed);
  return parsed.toString();
}

async function failureOf(promise: Promise<unknown>): Promise<DatabaseUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatabaseUnavailableError);
  return error as DatabaseUnavailableError;
}

run('opening PostgreSQL at start', () => {
  let schema: TestSchema;
  const opened: Stores[] = [];
  beforeEach(async () => {
    schema = await freshSchema();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await schema.drop();
  });

  it('names a database that does not exist, as a setting to fix (78)', async () => {
    const failure = await failureOf(open(withPath(schema.url, (u) => (u.pathname = '/no_such_database'))));
    expect(failure.message).toMatch(/^cannot use the database at DATABASE_URL=postgres:\/\/postgres@127\.0\.0\.1:\d+\/no_such_database/);
    expect(failure.reason).toContain('the database does not exist');
    expect(failure.exitCode).toBe(78);
  });

  it('names a user the server does not know (78), and masks its password', async () => {
    const failure = await failureOf(
      open(
        withPath(schema.url, (u) => {
          u.username = 'nobody';
          u.password = 'hunter2-secret';
        }),
      ),
    );
    expect(failure.reason).toContain('the server refused this user');
    expect(failure.message).toContain('nobody:***@');
    expect(failure.message).not.toContain('hunter2-secret');
    expect(failure.exitCode).toBe(78);
  });

  it('names TLS when the URL asks for it and the server does not speak it (78)', async () => {
    const failure = await failureOf(open(withPath(schema.url, (u) => u.searchParams.set('sslmode', 'require'))));
    expect(failure.reason).toContain('TLS failed');
    expect(failure.exitCode).toBe(78);
  });

  it('says authentication failed for a wrong password (28P01)', () => {
    const refused = Object.assign(new DatabaseError('password authentication failed for user "wa"', 0, 'error'), { code: '28P01' });
    const failure = describeConnectFailure('postgres://wa:pw@db/wa', refused);
    expect(failure.reason).toContain('authentication failed: check the user name and password in the URL');
    expect(failure.exitCode).toBe(78);
  });

  it('applies the migrations once when three instances start together', async () => {
    opened.push(...(await Promise.all([open(schema.url), open(schema.url), open(schema.url)])));
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number }>('SELECT version FROM wa_onboard_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(migrations.map((_, i) => i + 1));
    } finally {
      await client.end();
    }
  });

  it('refuses an empty database with DATABASE_MIGRATE=off, naming the release step', async () => {
    const error = await open(schema.url, false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).message).toContain('schema version 0');
    expect((error as SchemaError).fix).toContain('wa-onboard db migrate');
  });

  it('starts with DATABASE_MIGRATE=off once the schema is the release\'s', async () => {
    await (await open(schema.url)).close();
    const stores = await open(schema.url, false);
    opened.push(stores);
    await expect(stores.ping()).resolves.toBeUndefined();
  });
});
