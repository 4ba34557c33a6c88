import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startEventReceiver, type EventReceiver } from '../../src/embedded/event-receiver';
import { openDatabase } from '../../src/store/sqlite/database';
import { rehearsalMark, REHEARSAL_HEADER } from '../../src/whatsapp/rehearsal-mark';
import { migrations as sqliteMigrations } from '../../src/store/sqlite/migrations';
import { runCommand, type CliRun } from '../helpers/cli';
import { ADMIN_TOKEN, callParams, eventually, META, startHarness, type Harness } from '../helpers/harness';
import { messageId, textBatch } from '../helpers/meta-payloads';
import { fixtureWire } from '../helpers/meta-wire';
import { freshSchema, testPostgresUrl, type TestSchema } from '../helpers/postgres/test-schema';
import { readStore, type StoreLocation } from '../helpers/store-reader';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

/** `wa-onboard db copy`: a SQLite deployment moved into PostgreSQL, and served from there. */

const TABLES = ['calls', 'codes', 'deliveries', 'webhook_inbox', 'webhook_events', 'webhook_forwards', 'message_statuses', 'webhook_counters', 'admin_sessions'];
const FORWARD_SECRET = 'forward-secret-for-tests-0123';
const SESSION_COOKIE = '__Host-wa_onboard_session'; // PUBLIC_URL is https in the harness

interface CopyResult {
  ok: boolean;
  source: string;
  target: string;
  resumed: boolean;
  error?: string;
  tables: Record<string, { copied: number; skipped: number }>;
}

let schema: TestSchema;
let cliDir: string;
let receiver: EventReceiver;
const harnesses: Harness[] = [];

beforeEach(async () => {
  [schema, receiver] = await Promise.all([freshSchema(), startEventReceiver()]);
  cliDir = makeTempDir();
});
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
  await Promise.all([schema.drop(), receiver.close()]);
  removeTempDir(cliDir);
});

/** `wa-onboard [--json] db copy --from <dir> --to <url>`, with a DATA_DIR of its own. */
function copy(from: string, options: { to?: string; json?: boolean; tty?: boolean } = {}): Promise<CliRun> {
  // Without colour on a terminal too, so lines compare as plain text.
  const argv = [...(options.json ? ['--json'] : []), '--no-color', 'db', 'copy', '--from', from, '--to', options.to ?? schema.url];
  return runCommand(argv, { DATA_DIR: cliDir }, { tty: options.tty });
}

async function captureCode(h: Harness, callSid: string, speech: string): Promise<void> {
  await h.twilioPost('/twilio/voice', callParams(callSid, { CallStatus: 'ringing' }));
  const res = await h.twilioPost('/twilio/gather?listen=1', callParams(callSid, { SpeechResult: speech, Confidence: '0.9' }));
  expect(res.status).toBe(200);
}

/** Signs in to the operator page; the Cookie header a browser would send back. */
async function signIn(h: Harness): Promise<string> {
  const res = await fetch(`${h.url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
}

/**
 * A service on SQLite with something in every table: a code heard and delivered, Meta's check
 * answered, webhooks (one batch delivered twice, a failed status, and a rehearsal of it), a
 * sign-in, and forwards still owed to a receiver that answers 503.
 */
async function sqliteDeployment(): Promise<{ h: Harness; cookie: string }> {
  receiver.failWith(503);
  const h = await startHarness({ env: { FORWARD_URL: receiver.url, FORWARD_SECRET } });
  harnesses.push(h);
  await captureCode(h, 'CAcopy000001', '4 8 2 9 1 7');
  await eventually(async () => ((await h.codes())[0]?.deliveries.every((d) => d.status === 'sent') ? true : undefined));
  const check = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': META.verifyToken, 'hub.challenge': '42' });
  expect((await fetch(`${h.url}/webhooks/whatsapp?${check.toString()}`)).status).toBe(200);
  for (const body of [textBatch(4), textBatch(4, { first: 4 }), textBatch(4), fixtureWire('status-delivered'), fixtureWire('status-failed')]) {
    expect((await h.metaPost(body)).status).toBe(200);
  }
  const rehearsed = fixtureWire('status-failed');
  expect((await h.metaPost(rehearsed, { headers: { [REHEARSAL_HEADER]: rehearsalMark(META.appSecret, rehearsed) } })).status).toBe(200);
  await eventually(async () => {
    const overview = await h.webhookOverview();
    return overview.counts.dispatched === 5 && overview.rehearsals.posts === 1 ? true : undefined;
  });
  await eventually(() => (receiver.attempts >= 1 ? true : undefined));
  return { h, cookie: await signIn(h) };
}

/** Rows per table, read straight from the database. */
function tableCounts(where: StoreLocation): Promise<Record<string, number>> {
  return readStore(where, async (rows) => {
    const counts: Record<string, number> = {};
    for (const table of TABLES) counts[table] = (await rows<{ n: number }>(`SELECT CAST(count(*) AS INTEGER) AS n FROM ${table}`))[0]?.n ?? -1;
    return counts;
  });
}

async function pgQuery<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: schema.url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const inPostgres = (): StoreLocation => ({ dataDir: cliDir, databaseUrl: schema.url });

(testPostgresUrl() ? describe : describe.skip)('wa-onboard db copy', () => {
  it("a running SQLite service's data is served by a PostgreSQL one afterwards", async () => {
    const { h: onSqlite, cookie } = await sqliteDeployment();
    const before = { codes: await onSqlite.codes(), events: await onSqlite.events(), overview: await onSqlite.webhookOverview() };

    const run = await copy(onSqlite.dataDir);
    expect(run.code).toBe(0);
    await onSqlite.stopService();
    const onPostgres = await startHarness({ env: { DATABASE_URL: schema.url, FORWARD_URL: receiver.url, FORWARD_SECRET } });
    harnesses.push(onPostgres);

    expect(await onPostgres.codes()).toEqual(before.codes);
    expect(await onPostgres.events()).toEqual(before.events);
    const overview = await onPostgres.webhookOverview();
    expect(overview.counts).toEqual(before.overview.counts);
    expect(overview.counts.duplicates).toBe(4);
    expect([overview.lastVerifiedAt, overview.lastEventAt, overview.failures]).toEqual([
      before.overview.lastVerifiedAt,
      before.overview.lastEventAt,
      before.overview.failures,
    ]);
    expect(overview.failures).toHaveLength(1);
    expect(overview.rehearsals).toEqual(before.overview.rehearsals);
    expect(overview.rehearsals.latest).toHaveLength(1);
    // The operator's sign-in came across: the same cookie opens the page.
    expect(await (await fetch(`${onPostgres.url}/`, { headers: { cookie } })).text()).toContain('<main id="checklist">');
    expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);

    // What SQLite owed the receiver is forwarded from PostgreSQL, each event once, in order per number.
    receiver.recover();
    const owed = [...before.events].reverse();
    await receiver.waitForEvents(owed.length);
    await eventually(async () => ((await onPostgres.webhookOverview()).forwarding.every((f) => f.backlog === 0) ? true : undefined));
    const keys = receiver.events.map((e) => e.idempotencyKey);
    expect([...keys].sort()).toEqual(owed.map((e) => e.id).sort());
    for (const lane of new Set(owed.map((e) => e.phoneNumberId))) {
      const inLane = new Set(owed.filter((e) => e.phoneNumberId === lane).map((e) => e.id));
      expect(keys.filter((k) => inLane.has(k ?? ''))).toEqual(owed.filter((e) => e.phoneNumberId === lane).map((e) => e.id));
    }

    // Meta delivering an old batch again: the dedupe keys came across.
    expect((await onPostgres.metaPost(textBatch(4))).status).toBe(200);
    const again = await eventually(async () => {
      const counts = (await onPostgres.webhookOverview()).counts;
      return counts.duplicates === 8 ? counts : undefined;
    });
    expect(again.events).toBe(before.overview.counts.events);

    // New rows get new ids: every identity sequence was moved past the copied ids.
    await captureCode(onPostgres, 'CAcopy000002', '1 3 5 7 9 2');
    expect((await onPostgres.metaPost(textBatch(1, { first: 100 }))).status).toBe(200);
    const forwarded = await receiver.waitForEvents(owed.length + 1);
    expect(forwarded.at(-1)?.idempotencyKey).toBe(`message:${messageId(100)}`);
    expect((await pgQuery<{ id: number }>('SELECT id FROM codes ORDER BY id')).map((r) => Number(r.id))).toEqual([1, 2]);
    const codes = await eventually(async () => {
      const listed = await onPostgres.codes();
      return listed.length === 2 && listed.every((c) => c.deliveries.every((d) => d.status === 'sent')) ? listed : undefined;
    });
    expect(codes.map((c) => c.code).sort()).toEqual(['135792', '482917']);
    // Only the new code was mailed: the copied one was delivered already, and is not sent again.
    expect(onPostgres.smtp.received).toHaveLength(1);
  });

  it('changes nothing when run again, and completes a copy that was cut short', async () => {
    const { h } = await sqliteDeployment();
    await h.stopService();
    const inSqlite = await tableCounts({ dataDir: h.dataDir });
    for (const table of TABLES) expect([table, inSqlite[table]]).not.toEqual([table, 0]);

    const first = await copy(h.dataDir, { json: true });
    expect(first.code).toBe(0);
    expect(first.json<CopyResult>()).toMatchObject({ ok: true, resumed: false });
    expect(first.json<CopyResult>().tables).toEqual(Object.fromEntries(TABLES.map((t) => [t, { copied: inSqlite[t], skipped: 0 }])));
    expect(await tableCounts(inPostgres())).toEqual(inSqlite);
    const events = () => pgQuery('SELECT id, key, inbox_id, failed, received_at, event FROM webhook_events ORDER BY id');
    const eventsCopied = await events();

    const second = await copy(h.dataDir, { json: true });
    expect(second.code).toBe(0);
    expect(second.json<CopyResult>()).toMatchObject({ ok: true, resumed: true });
    expect(second.json<CopyResult>().tables).toEqual(Object.fromEntries(TABLES.map((t) => [t, { copied: 0, skipped: inSqlite[t] }])));
    expect(await tableCounts(inPostgres())).toEqual(inSqlite);

    // A copy interrupted in the events: the last three (and their forwards, by cascade) never made it.
    await pgQuery(`DELETE FROM webhook_events WHERE id > (SELECT max(id) - 3 FROM webhook_events)`);
    await pgQuery(`UPDATE wa_onboard_copies SET finished_at = NULL`);
    const third = await copy(h.dataDir);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('• Resuming');
    expect(third.stdout).toContain(`✓ webhook_events: 3 copied, ${(inSqlite.webhook_events ?? 0) - 3} already there`);
    expect(third.stdout).toContain(`✓ webhook_forwards: 3 copied, ${(inSqlite.webhook_forwards ?? 0) - 3} already there`);
    expect(await tableCounts(inPostgres())).toEqual(inSqlite);
    expect(await events()).toEqual(eventsCopied);
    const [ledger] = await pgQuery<{ source: string; finished_at: Date | null }>('SELECT source, finished_at FROM wa_onboard_copies');
    expect(ledger?.source).toBe(path.join(h.dataDir, 'wa-onboard.sqlite'));
    expect(ledger?.finished_at).toBeInstanceOf(Date);
  });

  it('refuses to copy again once the target holds rows of its own under the source ids', async () => {
    const { h } = await sqliteDeployment();
    await h.stopService();
    expect((await copy(h.dataDir)).code).toBe(0);
    // A service on PostgreSQL stores code 2; the SQLite file, still in use, stores another code 2.
    await pgQuery(`INSERT INTO codes (call_sid, code, source, received_at) VALUES ('CAcopy000001', '111111', 'dtmf', now())`);
    const file = new Database(path.join(h.dataDir, 'wa-onboard.sqlite'));
    file.prepare(`INSERT INTO codes (call_sid, code, source, received_at) VALUES ('CAcopy000001', '222222', 'dtmf', 0)`).run();
    file.close();

    const run = await copy(h.dataDir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('codes row 2 in the target is not row 2 of the SQLite file');
    expect((await pgQuery<{ code: string }>('SELECT code FROM codes ORDER BY id')).map((r) => r.code)).toEqual(['482917', '111111']);
  });

  it('copies a large inbox in pages, showing progress, with bodies byte for byte', async () => {
    const dataDir = sqliteFile(cliDir, 'large');
    const body = Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x22, 0xc3, 0x28, 0x7d]); // a NUL and bytes that are not UTF-8
    const file = new Database(path.join(dataDir, 'wa-onboard.sqlite'));
    const insert = file.prepare(`INSERT INTO webhook_inbox (received_at, body, signed_with, state) VALUES (?, ?, 'current', 'pending')`);
    file.transaction(() => {
      for (let i = 0; i < 12_000; i++) insert.run(1_700_000_000_000 + i, Buffer.concat([body, Buffer.from(String(i))]));
    })();
    file.prepare(`INSERT INTO calls (call_sid, from_number, to_number, started_at, heard) VALUES ('CAnul', '+1', '+2', 0, json_array('a' || char(0) || 'b'))`).run();
    file.prepare(`INSERT INTO webhook_events (key, inbox_id, kind, type, failed, received_at, event) VALUES ('k', 1, 'message', 'text', 1, 5, ?)`).run('{"a":"x\u0000y"}');
    file.close();

    const piped = await copy(dataDir);
    expect(piped.code).toBe(0);
    expect(piped.stderr.split('\n').filter((l) => l.includes('webhook_inbox'))).toEqual(['  webhook_inbox: 5000 of 12000 rows', '  webhook_inbox: 10000 of 12000 rows']);
    expect(piped.stdout).toContain('✓ webhook_inbox: 12000 copied');
    const rows = await pgQuery<{ id: number; body: Buffer; received_at: Date }>('SELECT id, body, received_at FROM webhook_inbox WHERE id IN (1, 12000) ORDER BY id');
    expect(rows.map((r) => [Number(r.id), r.body, r.received_at.getTime()])).toEqual([
      [1, Buffer.concat([body, Buffer.from('0')]), 1_700_000_000_000],
      [12000, Buffer.concat([body, Buffer.from('11999')]), 1_700_000_011_999],
    ]);
    // PostgreSQL text holds no U+0000: U+FFFD stands for it, as in the service's own writes.
    expect(await pgQuery('SELECT heard, failed, event FROM calls, webhook_events')).toEqual([{ heard: ['a\uFFFDb'], failed: true, event: '{"a":"x\uFFFDy"}' }]);

    const onTerminal = await copy(dataDir, { tty: true });
    expect(onTerminal.stderr).toContain('\r\x1b[2K  webhook_inbox: 12000 of 12000 rows');
    expect(onTerminal.stdout).toContain('✓ webhook_inbox: 0 copied, 12000 already there');
  });

  it('refuses a target that holds other data, and changes nothing', async () => {
    const source = sqliteFile(cliDir, 'source');
    expect((await runCommand(['db', 'migrate'], { DATA_DIR: cliDir, DATABASE_URL: schema.url })).code).toBe(0);
    await pgQuery(`INSERT INTO admin_sessions (token_hash, created_at, expires_at) VALUES ('a-live-session', now(), now() + interval '1 hour')`);

    const run = await copy(source);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('the target database is not empty: admin_sessions already hold rows');
    expect(run.stdout).toContain('nothing was changed');
    expect(await pgQuery('SELECT * FROM wa_onboard_copies')).toEqual([]);
    expect(await tableCounts(inPostgres())).toMatchObject({ calls: 0, admin_sessions: 1 });
  });

  it('refuses a target copied from another SQLite file, and changes nothing', async () => {
    const { h } = await sqliteDeployment();
    await h.stopService();
    expect((await copy(h.dataDir)).code).toBe(0);
    const copied = await tableCounts(inPostgres());
    const other = sqliteFile(cliDir, 'other');
    new Database(path.join(other, 'wa-onboard.sqlite')).exec(`INSERT INTO calls (call_sid, from_number, to_number, started_at) VALUES ('CAother', '+1', '+2', 0)`).close();

    const run = await copy(other);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`holds a copy of another SQLite database (${path.join(h.dataDir, 'wa-onboard.sqlite')})`);
    expect(await tableCounts(inPostgres())).toEqual(copied);
    expect(await pgQuery('SELECT source FROM wa_onboard_copies')).toEqual([{ source: path.join(h.dataDir, 'wa-onboard.sqlite') }]);
  });

  it("refuses a SQLite database at another schema version, before touching the target", async () => {
    const source = sqliteFile(cliDir, 'behind');
    const file = new Database(path.join(source, 'wa-onboard.sqlite'));
    file.pragma(`user_version = ${sqliteMigrations.length - 1}`);
    file.close();

    const run = await copy(source);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`has schema version ${sqliteMigrations.length - 1}; this release copies version ${sqliteMigrations.length}`);
    expect(run.stdout).toContain('run `wa-onboard db migrate` with DATA_DIR set to its folder and DATABASE_URL unset');
    expect(await pgQuery(`SELECT to_regclass('wa_onboard_copies') AS found`)).toEqual([{ found: null }]);
  });

  it('names DATABASE_URL and --to when there is no target', async () => {
    const run = await runCommand(['db', 'copy', '--from', sqliteFile(cliDir, 'source')], { DATA_DIR: cliDir });
    expect(run.code).toBe(78);
    expect(run.stdout).toContain('no PostgreSQL database to copy into: set DATABASE_URL, or pass --to <url>');
  });

  it('prints one JSON document with --json, and never the password of the URL', async () => {
    const source = sqliteFile(cliDir, 'source');
    const url = new URL(schema.url);
    url.password = 'pw-never-shown'; // the test cluster trusts local connections, so any password goes
    const withPassword = url.toString();

    const json = await copy(source, { to: withPassword, json: true });
    expect(json.code).toBe(0);
    const result = json.json<CopyResult>();
    expect(result).toEqual({
      ok: true,
      source: path.join(source, 'wa-onboard.sqlite'),
      target: expect.stringContaining('postgres://postgres:***@127.0.0.1:') as string,
      resumed: false,
      tables: Object.fromEntries(TABLES.map((t) => [t, { copied: 0, skipped: 0 }])),
    });
    const text = await copy(source, { to: withPassword });
    const refused = await copy(sqliteFile(cliDir, 'other'), { to: withPassword });
    const unreachable = await copy(source, { to: withPassword.replace(/\/wa_test/, '/missing_db') });
    expect(refused.code).toBe(1);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toContain('cannot use the database at --to postgres://postgres:***@');
    for (const run of [json, text, refused, unreachable]) expect(run.stdout + run.stderr).not.toContain('pw-never-shown');
  });
});

/** An empty SQLite database at this release's schema, in a folder `name` under `parent`. */
function sqliteFile(parent: string, name: string): string {
  const dataDir = path.join(parent, name);
  openDatabase(dataDir).close();
  return dataDir;
}
