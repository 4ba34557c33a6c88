import pino from 'pino';
import { openPostgresStores } from '../../src/store/postgres/open';
import { openSqliteStores } from '../../src/store/sqlite/open';
import type { Stores } from '../../src/store/stores';
import { freshSchema, testPostgresUrl, type TestSchema } from '../helpers/postgres/test-schema';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

/** One empty database of one backend, for one test: opened as often as the test likes, removed after. */
export interface TestDatabase {
  backend: Stores['backend'];
  /** Opens the stores on this database (the same one each time: a restart). */
  open(options?: { instance?: string }): Promise<Stores>;
  /** Removes the database; stores still open are closed first. */
  destroy(): Promise<void>;
  /**
   * Where the database is, for the few tests that must reach it past the stores (another process
   * holding a lock, a schema from a newer release): the SQLite folder, or the PostgreSQL URL with
   * the test's schema first on the search path.
   */
  location: { backend: 'sqlite'; dir: string } | { backend: 'postgres'; url: string };
}

const quiet = pino({ level: 'silent' });

function sqliteDatabase(): Promise<TestDatabase> {
  const dir = makeTempDir('wa-onboard-contract-');
  const opened: Stores[] = [];
  return Promise.resolve({
    backend: 'sqlite',
    location: { backend: 'sqlite', dir },
    open() {
      // Opening is synchronous here; a throw (a schema from a newer release) becomes a rejection, as on PostgreSQL.
      return new Promise<Stores>((resolve) => {
        const stores = openSqliteStores(dir);
        opened.push(stores);
        resolve(stores);
      });
    },
    async destroy() {
      await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
      removeTempDir(dir);
    },
  });
}

async function postgresDatabase(): Promise<TestDatabase> {
  const schema: TestSchema = await freshSchema();
  const opened: Stores[] = [];
  let n = 0;
  return {
    backend: 'postgres',
    location: { backend: 'postgres', url: schema.url },
    async open(options = {}) {
      const stores = await openPostgresStores({
        url: schema.url,
        poolMax: 4,
        migrate: true,
        instance: options.instance ?? `contract-${++n}`,
        logger: quiet,
      });
      opened.push(stores);
      return stores;
    },
    async destroy() {
      await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
      await schema.drop();
    },
  };
}

const BACKENDS = [
  { name: 'sqlite' as const, make: sqliteDatabase, available: true },
  { name: 'postgres' as const, make: postgresDatabase, available: testPostgresUrl() !== undefined },
];

/**
 * Runs `suite` once per backend: every store behaviour holds on the embedded SQLite file and on a
 * shared PostgreSQL alike. `database()` is a fresh, empty database for the current test. Without
 * PostgreSQL on the machine its half is skipped (`.ci/run` installs it and requires it). `backend`
 * lets a suite declare the few tests that concern one adapter only (`onlyOn`).
 */
export function describeEachBackend(
  title: string,
  suite: (database: () => TestDatabase, backend: Stores['backend']) => void,
): void {
  for (const backend of BACKENDS) {
    const run = backend.available ? describe : describe.skip;
    run(`${title} (${backend.name})`, () => {
      let current: TestDatabase | undefined;
      beforeEach(async () => {
        current = await backend.make();
      });
      afterEach(async () => {
        await current?.destroy();
        current = undefined;
      });
      suite(() => {
        if (!current) throw new Error('no database: call database() inside a test or a hook');
        return current;
      }, backend.name);
    });
  }
}

/** `it` on `wanted` only: a behaviour of one adapter (its locks, its errors), not declared on the other. */
export function onlyOn(wanted: Stores['backend'], backend: Stores['backend']): (name: string, test: jest.ProvidesCallback, timeoutMs?: number) => void {
  return (name, test, timeoutMs) => {
    if (wanted === backend) it(name, test, timeoutMs);
  };
}
