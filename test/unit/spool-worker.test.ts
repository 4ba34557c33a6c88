import fs from 'node:fs';
import pino from 'pino';
import type { Mailer, OutgoingEmail, OutgoingSms, SmsSender } from '../../src/delivery/ports';
import { exponentialBackoff } from '../../src/delivery/retry-policy';
import { SpoolWorker } from '../../src/delivery/spool-worker';
import { createMetrics } from '../../src/observability/metrics';
import type { CallStore, CapturedCode, Recipient } from '../../src/store/call-store';
import { openSqliteStores } from '../../src/store/sqlite/open';
import { StoreError } from '../../src/store/store-error';
import type { Stores } from '../../src/store/stores';
import { CodeSpool } from '../../src/voice/code-spool';
import { eventually } from '../helpers/harness';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const clock = { now: () => new Date() };
const RECIPIENTS: Recipient[] = [
  { channel: 'email', to: 'team@example.com' },
  { channel: 'sms', to: '+15005550001' },
];
const CAPTURED: CapturedCode = {
  call: { callSid: 'CAspooled', from: '+16505550100', to: '+15005550006' },
  code: '482917',
  source: 'speech',
  receivedAt: new Date('2026-12-04T10:00:00.000Z'),
};
const down = () => Promise.reject(new StoreError('PostgreSQL: connect ECONNREFUSED 127.0.0.1:5432', { transient: true, code: 'ECONNREFUSED' }));

let dir: string;
let stores: Stores;
let spool: CodeSpool;
let worker: SpoolWorker | undefined;
let emails: OutgoingEmail[];
let texts: OutgoingSms[];
let onStored: jest.Mock;

beforeEach(() => {
  dir = makeTempDir();
  stores = openSqliteStores(dir);
  spool = new CodeSpool(dir);
  emails = [];
  texts = [];
  onStored = jest.fn();
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await stores.close();
  removeTempDir(dir);
});

function workerWith(store: Pick<CallStore, 'captureCode'>, transports: { mailer?: Mailer; sms?: SmsSender } = {}): SpoolWorker {
  worker = new SpoolWorker({
    spool,
    store,
    mailer: transports.mailer ?? { send: (m) => Promise.resolve(void emails.push(m)) },
    sms: transports.sms ?? { send: (m) => Promise.resolve(void texts.push(m)) },
    clock,
    logger: pino({ level: 'silent' }),
    metrics: createMetrics({ processMetrics: false }),
    retry: exponentialBackoff({ baseMs: 20, maxMs: 40, maxAttempts: 5 }),
    pollMs: 10_000,
    onStored,
  });
  return worker;
}

describe('the code spool', () => {
  it('keeps a code once, however often it is heard, in a file only its owner reads', async () => {
    await spool.keep(CAPTURED, RECIPIENTS);
    await spool.keep({ ...CAPTURED, source: 'transcription', receivedAt: new Date() }, RECIPIENTS);
    const kept = await spool.list();
    expect(kept).toHaveLength(1);
    expect(kept[0]?.captured).toEqual(CAPTURED);
    expect(fs.statSync(kept[0]?.file ?? '').mode & 0o777).toBe(0o600);
  });
});

describe('the spool worker', () => {
  it('delivers a spooled code by email and SMS while the store is down, and sends nothing twice', async () => {
    await spool.keep(CAPTURED, RECIPIENTS);
    const spooler = workerWith({ captureCode: down });
    await spooler.runNow();
    await spooler.runNow();
    expect(emails.map((e) => e.subject)).toEqual(['WhatsApp verification code for +15005550006: 482917']);
    expect(texts.map((t) => t.body)).toEqual(['WhatsApp verification code for +15005550006: 482917']);
    const [kept] = await spool.list();
    expect(Object.values(kept?.progress ?? {}).map((p) => p.attempts)).toEqual([1, 1]);
  });

  it('moves a code delivered from the spool into the store, recorded as sent, and forgets the file', async () => {
    await spool.keep(CAPTURED, RECIPIENTS);
    let away = true;
    const spooler = workerWith({ captureCode: (...args) => (away ? down() : stores.calls.captureCode(...args)) });
    await spooler.runNow();
    away = false;
    await spooler.runNow();
    expect(await spool.list()).toEqual([]);
    const [code] = await stores.calls.listCodes(5);
    expect(code).toMatchObject({ code: '482917', callSid: 'CAspooled', source: 'speech' });
    expect(code?.deliveries.map((d) => [d.channel, d.status, d.attempts])).toEqual([
      ['email', 'sent', 1],
      ['sms', 'sent', 1],
    ]);
    // Nothing is left for the delivery worker: each recipient got the code once.
    expect(await stores.calls.nextDeliveryDueAt()).toBeNull();
    expect(emails).toHaveLength(1);
    expect(texts).toHaveLength(1);
    expect(onStored).toHaveBeenCalledTimes(1);
  });

  it('leaves to the delivery worker what the spool could not send before the store came back', async () => {
    await spool.keep(CAPTURED, RECIPIENTS);
    let away = true;
    const spooler = workerWith(
      { captureCode: (...args) => (away ? down() : stores.calls.captureCode(...args)) },
      { sms: { send: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:443')) } },
    );
    await spooler.runNow();
    away = false;
    await spooler.runNow();
    const [code] = await stores.calls.listCodes(5);
    expect(code?.deliveries.map((d) => [d.channel, d.status])).toEqual([
      ['email', 'sent'],
      ['sms', 'pending'],
    ]);
  });

  it('moves a code straight into the store when it answers at once, sending nothing itself', async () => {
    await spool.keep(CAPTURED, RECIPIENTS);
    await workerWith(stores.calls).runNow();
    expect(emails).toEqual([]);
    expect((await stores.calls.listCodes(5))[0]?.deliveries.map((d) => d.status)).toEqual(['pending', 'pending']);
    expect(await spool.list()).toEqual([]);
  });

  it('retries a failed send with backoff while the store is still down', async () => {
    await spool.keep(CAPTURED, [{ channel: 'email', to: 'team@example.com' }]);
    let failures = 2;
    const flaky: Mailer = { send: (m) => (failures-- > 0 ? Promise.reject(new Error('connect ECONNREFUSED')) : Promise.resolve(void emails.push(m))) };
    workerWith({ captureCode: down }, { mailer: flaky }).start();
    // Done once the spool file records the send (written after the email went out).
    const progress = await eventually(async () => {
      const recorded = (await spool.list())[0]?.progress['email:team@example.com'];
      return recorded?.sentAt ? recorded : undefined;
    });
    expect(emails).toHaveLength(1);
    expect(progress).toMatchObject({ attempts: 3 });
  });
});
