import pg from 'pg';
import { LOCKS } from '../../src/store/postgres/locks';
import type { CallInfo, CallStore, CapturedCode, Recipient } from '../../src/store/call-store';
import type { Stores } from '../../src/store/stores';
import { describeEachBackend, onlyOn } from './backends';
import { claimAt } from './claim-at';

// The calls' retention (CODE_RETENTION_DAYS): what pruneCalls deletes, and what it keeps however old.

const T0 = new Date('2025-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const DAY = 24 * 3_600_000;

const call = (n: number): CallInfo => ({ callSid: `CA${String(n).padStart(32, '0')}`, from: '+16505550100', to: '+14155550123' });
const OLD = call(1);
const NEW = call(2);
const RECIPIENTS: Recipient[] = [
  { channel: 'email', to: 'ops@example.com' },
  { channel: 'sms', to: '+14155550199' },
];

function captured(code: string, info: CallInfo, receivedAt: Date): CapturedCode {
  return { call: info, code, source: 'speech', receivedAt };
}

describeEachBackend('call retention', (database, backend) => {
  let stores: Stores;
  let calls: CallStore;

  beforeEach(async () => {
    stores = await database().open();
    calls = stores.calls;
  });

  /** Sends every delivery due at `now`: nothing of those calls is owed any more. */
  async function sendAllDue(now: Date): Promise<void> {
    for (const job of await calls.claimDueDeliveries(claimAt(now), 1_000)) await calls.markDeliverySent(job.id, now);
  }

  it('deletes a call that started before the cut-off whole (what was heard, its codes, its deliveries), and keeps a later one', async () => {
    await calls.recordCall(OLD, T0);
    await calls.addHeard(OLD.callSid, 'my code is four eight two');
    await calls.captureCode(captured('482917', OLD, at(30_000)), RECIPIENTS, at(30_000));
    await calls.captureCode(captured('555123', NEW, at(2 * DAY)), RECIPIENTS, at(2 * DAY));
    await sendAllDue(at(2 * DAY));

    expect(await calls.pruneCalls(at(DAY))).toEqual({ calls: 1, codes: 1, deliveries: 2, done: true });
    expect((await calls.listCodes(10)).map((c) => c.code)).toEqual(['555123']);
    expect((await calls.latestCall())?.callSid).toBe(NEW.callSid);
    expect(await calls.callState(OLD.callSid)).toEqual({ hasCode: false, fallback: false });
  });

  it('deletes an old call that never had a code, with its sent "no code heard" notice', async () => {
    await calls.recordCall(OLD, T0);
    await calls.addHeard(OLD.callSid, 'hello?');
    await calls.scheduleMissedCallNotice(OLD.callSid, RECIPIENTS, at(60_000), T0);
    await sendAllDue(at(60_000));

    expect(await calls.pruneCalls(at(DAY))).toEqual({ calls: 1, codes: 0, deliveries: 2, done: true });
    expect(await calls.latestCall()).toBeNull();
  });

  it('keeps an old call whole while one of its deliveries is still pending, and deletes it once it is done', async () => {
    await calls.captureCode(captured('482917', OLD, T0), RECIPIENTS, T0);
    const [email] = await calls.claimDueDeliveries(claimAt(T0), 1);
    await calls.markDeliverySent(email?.id ?? 0, T0);

    expect(await calls.pruneCalls(at(40 * DAY))).toEqual({ calls: 0, codes: 0, deliveries: 0, done: true });
    const [code] = await calls.listCodes(10);
    expect(code?.deliveries.map((d) => d.status)).toEqual(['sent', 'pending']);

    await sendAllDue(at(40 * DAY));
    expect(await calls.pruneCalls(at(40 * DAY))).toMatchObject({ calls: 1, codes: 1, deliveries: 2 });
  });

  it('keeps an old call whose "no code heard" notice is scheduled but not yet sent', async () => {
    await calls.recordCall(OLD, T0);
    await calls.scheduleMissedCallNotice(OLD.callSid, RECIPIENTS, at(15 * 60_000), T0);

    expect(await calls.pruneCalls(at(DAY))).toMatchObject({ calls: 0 });
    expect((await calls.latestCall())?.notices.map((n) => n.status)).toEqual(['pending', 'pending']);
  });

  it('deletes an old call whose notice was cancelled by its code: only a pending delivery keeps a call', async () => {
    await calls.recordCall(OLD, T0);
    await calls.scheduleMissedCallNotice(OLD.callSid, RECIPIENTS, at(60_000), T0);
    await calls.captureCode(captured('482917', OLD, at(30_000)), [], at(30_000)); // cancels the notice
    expect((await calls.latestCall())?.notices.map((n) => n.status)).toEqual(['cancelled', 'cancelled']);

    expect(await calls.pruneCalls(at(DAY))).toEqual({ calls: 1, codes: 1, deliveries: 2, done: true });
  });

  it('keeps an old call with a code received since the cut-off (a code moved in late from the spool)', async () => {
    await calls.recordCall(OLD, T0);
    await calls.captureCode(captured('482917', OLD, at(2 * DAY)), RECIPIENTS.map((r) => ({ ...r, sentAt: at(2 * DAY) })), at(2 * DAY));

    expect(await calls.pruneCalls(at(DAY))).toMatchObject({ calls: 0 });
    expect(await calls.listCodes(10)).toHaveLength(1);
  });

  it('lets a call pruned away be recorded again, as new, when its SID comes back', async () => {
    await calls.captureCode(captured('482917', OLD, T0), [], T0);
    await calls.pruneCalls(at(DAY));

    expect(await calls.captureCode(captured('482917', OLD, at(2 * DAY)), [], at(2 * DAY))).toEqual({ created: true });
  });

  it('works in chunks of 500 calls and says when more remain', async () => {
    for (let n = 1; n <= 502; n++) await calls.recordCall(call(n), at(n));

    expect(await calls.pruneCalls(at(DAY))).toEqual({ calls: 500, codes: 0, deliveries: 0, done: false });
    expect(await calls.pruneCalls(at(DAY))).toEqual({ calls: 2, codes: 0, deliveries: 0, done: true });
    expect(await calls.latestCall()).toBeNull();
  });

  onlyOn('postgres', backend)('skips pruning while another instance holds the prune lock', async () => {
    await calls.recordCall(OLD, T0);
    const { location } = database();
    if (location.backend !== 'postgres') throw new Error('a PostgreSQL test ran on SQLite');
    const other = new pg.Client({ connectionString: location.url });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(hashtext(current_schema()), $1)`, [LOCKS.prune]);
      expect(await calls.pruneCalls(at(DAY))).toEqual({ calls: 0, codes: 0, deliveries: 0, done: true });
      expect(await calls.latestCall()).not.toBeNull();

      await other.query(`SELECT pg_advisory_unlock(hashtext(current_schema()), $1)`, [LOCKS.prune]);
      expect(await calls.pruneCalls(at(DAY))).toMatchObject({ calls: 1, done: true });
    } finally {
      await other.end();
    }
  });
});
