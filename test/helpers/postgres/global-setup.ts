import pg from 'pg';
import { postgresBinDir, startPostgresCluster, type PostgresCluster } from './cluster';

/** The database the tests share, each test in a schema of its own (see test-schema.ts). */
export const TEST_DATABASE = 'wa_test';
/** Where the tests find it: set here, read by the workers (they inherit the environment). */
export const TEST_POSTGRES_ENV = 'WA_ONBOARD_TEST_POSTGRES';

declare global {
  var waOnboardTestCluster: PostgresCluster | undefined;
}

/**
 * jest's global setup: one throwaway PostgreSQL cluster for the whole run. Without PostgreSQL on
 * the machine the PostgreSQL tests are skipped with a notice, unless WA_ONBOARD_REQUIRE_POSTGRES=1
 * (as `.ci/run` sets it): then a missing PostgreSQL fails the run.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env[TEST_POSTGRES_ENV]) return; // a server given from outside
  if (!postgresBinDir()) {
    if (process.env.WA_ONBOARD_REQUIRE_POSTGRES === '1') {
      throw new Error('WA_ONBOARD_REQUIRE_POSTGRES=1 but PostgreSQL is not installed (apt-get install postgresql)');
    }
    process.stderr.write('\nPostgreSQL is not installed: the tests on the PostgreSQL store are skipped (apt-get install postgresql)\n');
    return;
  }
  const cluster = await startPostgresCluster();
  globalThis.waOnboardTestCluster = cluster;
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${TEST_DATABASE}`);
  } finally {
    await admin.end();
  }
  process.env[TEST_POSTGRES_ENV] = cluster.urlOf(TEST_DATABASE);
}
