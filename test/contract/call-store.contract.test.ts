import type { Admission, CallInfo, CallStore, CapturedCode, DeliveryJob, Recipient } from '../../src/store/call-store';
import { admissionFor } from '../../src/voice/forward-budget';
import type { Stores } from '../../src/store/stores';
import { describeEachBackend } from './backends';
import { claimAt } from './claim-at';
import { only } from './shared';

const T0 = new Date('2025-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const LATER = at(24 * 3_600_000);

const CALL: CallInfo = { callSid: `CA${'a'.repeat(32)}`, from: '+16505550100', to: '+14155550123' };
const OTHER_CALL: CallInfo = { callSid: `CA${'b'.repeat(32)}`, from: '+16505550100', to: '+14155550123' };
const RECIPIENTS: Recipient[] = [
  { channel: 'email', to: 'ops@example.com' },
  { channel: 'sms', to: '+14155550199' },
];

function captured(code: string, call: CallInfo = CALL, receivedAt: Date = T0): CapturedCode {
  return { call, code, source: 'speech', receivedAt };
}

describeEachBackend('the call store', (database) => {
  let stores: Stores;
  let calls: CallStore;

  beforeEach(async () => {
    stores = await database().open();
    calls = stores.calls;
  });

  /** Closes the stores and opens them again on the same database: a restart. */
  async function restart(): Promise<void> {
    await stores.close();
    stores = await database().open();
    calls = stores.calls;
  }

  /** Claims every delivery due at `now` (each call claims; the tests choose times past earlier leases). */
  const claimDue = (now: Date, limit = 100) => calls.claimDueDeliveries(claimAt(now), limit);

  /** The one pending delivery for `channel` among those claimed at `now`. */
  async function dueFor(channel: Recipient['channel'], now: Date = LATER): Promise<DeliveryJob> {
    return only((await claimDue(now)).filter((j) => j.channel === channel));
  }

  describe('captureCode', () => {
    it('stores the code with one pending delivery per recipient', async () => {
      expect(await calls.captureCode(captured('482917'), RECIPIENTS, T0)).toEqual({ created: true });

      const jobs = await claimDue(T0);
      expect(jobs.map((j) => [j.kind, j.channel, j.recipient, j.attempts])).toEqual([
        ['code', 'email', 'ops@example.com', 0],
        ['code', 'sms', '+14155550199', 0],
      ]);
      expect(jobs[0]).toMatchObject({
        createdAt: T0,
        call: { ...CALL, recordingUrl: null, heard: [] },
        code: { code: '482917', source: 'speech', receivedAt: T0 },
      });
      expect(await calls.callState(CALL.callSid)).toEqual({ hasCode: true, fallback: false });
    });

    it('ignores the same code for the same call a second time', async () => {
      await calls.captureCode(captured('482917'), RECIPIENTS, T0);

      expect(await calls.captureCode(captured('482917', CALL, at(5_000)), RECIPIENTS, at(5_000))).toEqual({ created: false });
      expect(await claimDue(LATER)).toHaveLength(2);
      expect(await calls.listCodes(10)).toHaveLength(1);
    });

    it('stores a different code heard on the same call as its own entry', async () => {
      await calls.captureCode(captured('482917'), RECIPIENTS, T0);
      expect(await calls.captureCode(captured('111111', CALL, at(1_000)), RECIPIENTS, at(1_000))).toEqual({ created: true });
      expect(await claimDue(LATER)).toHaveLength(4);
    });

    it('stores a code with no recipients and nothing to deliver', async () => {
      expect(await calls.captureCode(captured('482917'), [], T0)).toEqual({ created: true });
      expect(await claimDue(LATER)).toEqual([]);
      expect(only(await calls.listCodes(10)).deliveries).toEqual([]);
    });

    it('stores a delivery that went out before the code was stored as sent, never due', async () => {
      await calls.captureCode(captured('482917'), [{ ...RECIPIENTS[0]!, sentAt: at(-500) }, RECIPIENTS[1]!], T0);

      expect((await claimDue(LATER)).map((j) => j.channel)).toEqual(['sms']);
      const email = only(only(await calls.listCodes(10)).deliveries.filter((d) => d.channel === 'email'));
      expect(email).toMatchObject({ status: 'sent', attempts: 1, sentAt: at(-500).toISOString() });
    });
  });

  describe('claimDueDeliveries', () => {
    it('hands out nothing before the next attempt is due', async () => {
      await calls.captureCode(captured('482917'), RECIPIENTS, at(10_000));
      expect(await claimDue(at(9_999))).toEqual([]);
      expect(await claimDue(at(10_000))).toHaveLength(2);
    });

    it('hands out at most `limit` jobs, earliest first', async () => {
      await calls.captureCode(captured('222222', OTHER_CALL), RECIPIENTS, at(2_000));
      await calls.captureCode(captured('111111'), RECIPIENTS, at(1_000));
      const jobs = await claimDue(LATER, 3);
      expect(jobs.map((j) => j.code?.code)).toEqual(['111111', '111111', '222222']);
    });
  });

  describe('recording delivery attempts', () => {
    beforeEach(async () => {
      await calls.captureCode(captured('482917'), RECIPIENTS, T0);
    });

    it('counts a retry and moves the next attempt', async () => {
      // Limit 1: only the email is claimed, so the SMS stays free to be handed out below.
      const job = only(await claimDue(T0, 1));
      expect(job.channel).toBe('email');
      await calls.markDeliveryRetry(job.id, 'the mail server asked to try again later: 451', at(30_000));

      expect((await claimDue(at(29_999))).map((j) => j.channel)).toEqual(['sms']);
      const again = only((await claimDue(at(30_000))).filter((j) => j.id === job.id));
      expect(again.attempts).toBe(1);
      const email = only(only(await calls.listCodes(10)).deliveries.filter((d) => d.channel === 'email'));
      expect(email).toMatchObject({ status: 'pending', attempts: 1, error: 'the mail server asked to try again later: 451' });
    });

    it('records a failure, which is never due again', async () => {
      const job = await dueFor('sms', T0);
      await calls.markDeliveryRetry(job.id, 'HTTP 503', at(1_000));
      await calls.markDeliveryFailed(job.id, "Twilio error 21211: the 'To' number is not a valid phone number");

      // LATER is past the lease taken at T0: the email is free again, the SMS is done.
      expect((await claimDue(LATER)).map((j) => j.channel)).toEqual(['email']);
      const sms = only(only(await calls.listCodes(10)).deliveries.filter((d) => d.channel === 'sms'));
      expect(sms).toEqual({
        channel: 'sms',
        to: '+14155550199',
        status: 'failed',
        attempts: 2,
        error: "Twilio error 21211: the 'To' number is not a valid phone number",
        sentAt: null,
      });
    });

    it('records a send, clears the last error, and is never due again', async () => {
      const job = await dueFor('email', T0);
      await calls.markDeliveryRetry(job.id, '421 busy', at(1_000));
      await calls.markDeliverySent(job.id, at(1_500));

      expect((await claimDue(LATER)).map((j) => j.channel)).toEqual(['sms']);
      const email = only(only(await calls.listCodes(10)).deliveries.filter((d) => d.channel === 'email'));
      expect(email).toEqual({
        channel: 'email',
        to: 'ops@example.com',
        status: 'sent',
        attempts: 2,
        error: null,
        sentAt: at(1_500).toISOString(),
      });
    });
  });

  describe('listCodes', () => {
    it('lists codes newest first with the call they came from', async () => {
      await calls.captureCode(captured('111111', CALL, T0), RECIPIENTS, T0);
      await calls.captureCode(captured('222222', OTHER_CALL, at(60_000)), RECIPIENTS, at(60_000));

      const codes = await calls.listCodes(10);
      expect(codes.map((c) => [c.code, c.callSid, c.receivedAt])).toEqual([
        ['222222', OTHER_CALL.callSid, at(60_000).toISOString()],
        ['111111', CALL.callSid, T0.toISOString()],
      ]);
      expect(codes[0]).toMatchObject({ source: 'speech', from: OTHER_CALL.from, to: OTHER_CALL.to });
      expect(codes[0]?.deliveries.map((d) => [d.channel, d.to, d.status, d.attempts, d.error])).toEqual([
        ['email', 'ops@example.com', 'pending', 0, null],
        ['sms', '+14155550199', 'pending', 0, null],
      ]);
    });

    it('returns at most `limit` codes', async () => {
      await calls.captureCode(captured('111111', CALL, T0), RECIPIENTS, T0);
      await calls.captureCode(captured('222222', OTHER_CALL, at(60_000)), RECIPIENTS, at(60_000));
      expect((await calls.listCodes(1)).map((c) => c.code)).toEqual(['222222']);
    });
  });

  describe('missed-call notices', () => {
    beforeEach(async () => {
      await calls.recordCall(CALL, T0);
    });

    it('schedules one notice per recipient for a call without a code', async () => {
      expect(await calls.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0)).toBe(true);

      expect(await claimDue(at(59_999))).toEqual([]);
      const jobs = await claimDue(at(60_000));
      expect(jobs.map((j) => [j.kind, j.channel, j.recipient])).toEqual([
        ['missed-call', 'email', 'ops@example.com'],
        ['missed-call', 'sms', '+14155550199'],
      ]);
      expect(jobs[0]?.code).toBeUndefined();
    });

    it('schedules nothing when the call already has a code', async () => {
      await calls.captureCode(captured('482917'), RECIPIENTS, T0);
      expect(await calls.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, T0, T0)).toBe(false);
      expect((await claimDue(LATER)).map((j) => j.kind)).toEqual(['code', 'code']);
    });

    it('schedules the notice only once per call', async () => {
      await calls.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0);
      expect(await calls.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(1_000), at(1_000))).toBe(false);
      // Read before any claim: a live claim would put the lease end here instead.
      expect(await calls.nextDeliveryDueAt()).toEqual(at(60_000));
      expect(await claimDue(LATER)).toHaveLength(2);
    });

    it('cancels a pending notice when a code arrives later (from the transcript)', async () => {
      await calls.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0);
      await calls.captureCode({ ...captured('482917', CALL, at(30_000)), source: 'transcription' }, RECIPIENTS, at(30_000));
      expect((await claimDue(LATER)).map((j) => j.kind)).toEqual(['code', 'code']);
    });

    it('makes a scheduled notice due at once when released', async () => {
      await calls.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0);
      await calls.releaseMissedCallNotice(CALL.callSid, at(5_000));
      expect(await claimDue(at(5_000))).toHaveLength(2);
    });

    it('never postpones a notice when released at a later time', async () => {
      await calls.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0);
      await calls.releaseMissedCallNotice(CALL.callSid, at(120_000));
      expect(await claimDue(at(60_000))).toHaveLength(2);
    });

    it('keeps the first recording link unless told to replace it', async () => {
      await calls.recordCall(CALL, T0);
      await calls.setRecordingUrl(CALL.callSid, 'https://example.test/RE-fallback', { replace: false });
      await calls.setRecordingUrl(CALL.callSid, 'https://example.test/RE-other', { replace: false });
      await calls.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, T0, T0);
      expect((await dueFor('email', T0)).call.recordingUrl).toBe('https://example.test/RE-fallback');
      await calls.setRecordingUrl(CALL.callSid, 'https://example.test/RE-whole-call', { replace: true });
      // LATER: past the lease of the claim at T0, the notice is handed out again.
      expect((await dueFor('email', LATER)).call.recordingUrl).toBe('https://example.test/RE-whole-call');
    });

    it('remembers that a call went on to the fallback recording', async () => {
      await calls.recordCall(CALL, T0);
      expect(await calls.callState(CALL.callSid)).toEqual({ hasCode: false, fallback: false });
      await calls.markFallback(CALL.callSid, T0);
      expect(await calls.callState(CALL.callSid)).toEqual({ hasCode: false, fallback: true });
    });

    it('carries what was heard and the recording to the notice', async () => {
      await calls.addHeard(CALL.callSid, 'your code is four eight');
      await calls.addHeard(CALL.callSid, 'two "nine" [one]');
      await calls.setRecordingUrl(CALL.callSid, 'https://api.twilio.com/recordings/RE1', { replace: false });
      await calls.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, T0, T0);

      expect((await dueFor('email')).call).toEqual({
        ...CALL,
        rehearsal: false,
        recordingUrl: 'https://api.twilio.com/recordings/RE1',
        heard: ['your code is four eight', 'two "nine" [one]'],
      });
    });
  });

  describe('recordCall', () => {
    it('keeps the first record of a call when it is seen again', async () => {
      await calls.recordCall(CALL, T0);
      await calls.recordCall({ ...CALL, from: '+16505550111' }, at(1_000));
      await calls.captureCode(captured('482917', { ...CALL, from: '+16505550122' }, at(2_000)), RECIPIENTS, at(2_000));
      expect(only(await calls.listCodes(10)).from).toBe(CALL.from);
    });
  });

  describe('admitCall (the forwarding budget, CALL_FORWARD_LIMIT and CALLERS_ALLOWED)', () => {
    const callNo = (n: number, from = '+16505550100'): CallInfo => ({ callSid: `CA${String(n).padStart(32, '0')}`, from, to: CALL.to });
    const limitOf = (limit: number, callersAllowed: string[] | null = null): Admission => admissionFor({ limit, callersAllowed }, '', RECIPIENTS);
    /** The rule for a caller, as the call flow builds it. */
    const rule = (call: CallInfo, limit = 3, callersAllowed: string[] | null = null) => admissionFor({ limit, callersAllowed }, call.from, RECIPIENTS);

    it('forwards calls up to the limit in an hour, holds back the next, and stores one pause notice per recipient with it', async () => {
      const verdicts = [];
      for (let n = 1; n <= 5; n++) verdicts.push(await calls.admitCall(callNo(n), at(n * 60_000), rule(callNo(n))));

      expect(verdicts.map((v) => v.forwarding)).toEqual(['forwarded', 'forwarded', 'forwarded', 'over-limit', 'over-limit']);
      expect(verdicts.map((v) => v.pauseNotice)).toEqual([false, false, false, true, false]);
      const pauses = await claimDue(LATER);
      expect(pauses.map((j) => [j.kind, j.channel, j.recipient, j.call.callSid])).toEqual([
        ['paused', 'email', 'ops@example.com', callNo(4).callSid],
        ['paused', 'sms', '+14155550199', callNo(4).callSid],
      ]);
      expect(pauses[0]?.createdAt).toEqual(at(4 * 60_000));
    });

    it('counts only the calls forwarded in the hour before: a call an hour after the first is forwarded again', async () => {
      for (let n = 1; n <= 4; n++) await calls.admitCall(callNo(n), at(n * 1_000), rule(callNo(n)));
      // The first call started at 1 s: at 1 s past the hour it is out of the window.
      expect((await calls.admitCall(callNo(5), at(3_600_000), rule(callNo(5)))).forwarding).toBe('over-limit');
      expect((await calls.admitCall(callNo(6), at(3_601_001), rule(callNo(6)))).forwarding).toBe('forwarded');
    });

    it('stores one pause notice per hour however many calls are held back, and another in the next hour', async () => {
      const verdicts = [];
      for (let n = 1; n <= 12; n++) verdicts.push(await calls.admitCall(callNo(n), at(n * 1_000), limitOf(2)));
      expect(verdicts.filter((v) => v.pauseNotice)).toHaveLength(1);

      // Past the hour the budget has room again; when it is spent, the next call held brings a new notice.
      const later = [];
      for (let n = 13; n <= 16; n++) later.push(await calls.admitCall(callNo(n), at(3_700_000 + n), limitOf(2)));
      expect(later.map((v) => [v.forwarding, v.pauseNotice])).toEqual([
        ['forwarded', false],
        ['forwarded', false],
        ['over-limit', true],
        ['over-limit', false],
      ]);
      expect((await claimDue(LATER)).filter((j) => j.kind === 'paused')).toHaveLength(2 * RECIPIENTS.length);
    });

    it('holds back a caller outside CALLERS_ALLOWED without spending the budget or pausing anything', async () => {
      const stranger = callNo(1, '+14155550100');
      expect(await calls.admitCall(stranger, T0, rule(stranger, 1, ['+1650']))).toEqual({ forwarding: 'caller-not-allowed', created: true, pauseNotice: false });
      expect((await calls.admitCall(callNo(2), at(1_000), rule(callNo(2), 1, ['+1650']))).forwarding).toBe('forwarded');
      expect(await claimDue(LATER)).toEqual([]);
    });

    it("keeps a call's forwarding once decided, for every later request of it", async () => {
      await calls.admitCall(callNo(1), T0, limitOf(1));
      expect(await calls.admitCall(callNo(2), at(1_000), limitOf(1))).toMatchObject({ forwarding: 'over-limit', created: true });

      // Later requests of both calls: the budget is not asked again, and nothing more is stored.
      expect(await calls.admitCall(callNo(1), at(2_000), limitOf(1))).toEqual({ forwarding: 'forwarded', created: false, pauseNotice: false });
      expect(await calls.admitCall(callNo(2), at(3_000), limitOf(100))).toEqual({ forwarding: 'over-limit', created: false, pauseNotice: false });
      expect((await claimDue(LATER)).filter((j) => j.kind === 'paused')).toHaveLength(RECIPIENTS.length);
    });

    it('shows a held call and its code as not forwarded, and why, with no deliveries', async () => {
      await calls.admitCall(callNo(1), T0, limitOf(1));
      await calls.admitCall(callNo(2), at(1_000), limitOf(1));
      await calls.captureCode(captured('482917', callNo(2), at(2_000)), [], at(2_000));

      expect(only(await calls.listCodes(10))).toMatchObject({ code: '482917', forwarding: 'over-limit', deliveries: [] });
      expect(await calls.latestCall()).toMatchObject({ callSid: callNo(2).callSid, forwarding: 'over-limit' });
    });

    it('counts a call recorded without admission (a spooled code) as forwarded, and keeps the forwarding a spool carried', async () => {
      await calls.captureCode(captured('482917', callNo(1), T0), RECIPIENTS, T0);
      await calls.captureCode(captured('111111', { ...callNo(2, '+14155550100'), forwarding: 'caller-not-allowed' }, T0), [], T0);

      expect((await calls.admitCall(callNo(3), at(1_000), limitOf(1))).forwarding).toBe('over-limit');
      expect((await calls.listCodes(10)).map((c) => [c.callSid, c.forwarding]).sort()).toEqual([
        [callNo(1).callSid, 'forwarded'],
        [callNo(2).callSid, 'caller-not-allowed'],
      ]);
    });

    it('stores no pause notice when there is no one to tell', async () => {
      const nobody = admissionFor({ limit: 1, callersAllowed: null }, '', []);
      await calls.admitCall(callNo(1), T0, nobody);
      expect(await calls.admitCall(callNo(2), at(1_000), nobody)).toEqual({ forwarding: 'over-limit', created: true, pauseNotice: false });
      expect(await claimDue(LATER)).toEqual([]);
    });

    it('forwards the calls recorded before this release (their forwarding is read as forwarded)', async () => {
      await calls.recordCall(CALL, T0);
      expect(await calls.admitCall(CALL, at(1_000), limitOf(1))).toEqual({ forwarding: 'forwarded', created: false, pauseNotice: false });
    });
  });

  describe('rehearsals (wa-onboard simulate call)', () => {
    const REHEARSAL: CallInfo = { ...OTHER_CALL, rehearsal: true };

    it('keeps a call marked as a rehearsal as one: its code, its deliveries and the latest call say so', async () => {
      await calls.recordCall(REHEARSAL, T0);
      await calls.captureCode(captured('482917', REHEARSAL), RECIPIENTS, T0);

      expect((await claimDue(T0)).map((j) => j.call.rehearsal)).toEqual([true, true]);
      expect(only(await calls.listCodes(10)).rehearsal).toBe(true);
      expect((await calls.latestCall())?.rehearsal).toBe(true);
    });

    it("keeps Meta's call as Meta's, and a mark on a later request of it changes nothing", async () => {
      await calls.recordCall(CALL, T0);
      await calls.captureCode(captured('482917', { ...CALL, rehearsal: true }, at(1_000)), RECIPIENTS, at(1_000));

      expect((await claimDue(at(1_000))).map((j) => j.call.rehearsal)).toEqual([false, false]);
      expect(only(await calls.listCodes(10)).rehearsal).toBe(false);
      expect((await calls.latestCall())?.rehearsal).toBe(false);
    });
  });

  describe('nextDeliveryDueAt', () => {
    it('is null when nothing is pending', async () => {
      expect(await calls.nextDeliveryDueAt()).toBeNull();
    });

    it('is the earliest pending attempt, ignoring sent and failed deliveries', async () => {
      await calls.captureCode(captured('482917'), RECIPIENTS, at(1_000));
      const [first, second] = await claimDue(LATER);
      if (!first || !second) throw new Error('expected two deliveries');
      await calls.markDeliverySent(first.id, at(1_100));
      await calls.markDeliveryRetry(second.id, 'busy', at(9_000));
      expect(await calls.nextDeliveryDueAt()).toEqual(at(9_000));

      await calls.markDeliveryFailed(second.id, 'refused');
      expect(await calls.nextDeliveryDueAt()).toBeNull();
    });
  });

  describe('a restart', () => {
    it('finds the codes, deliveries and attempts stored before the stores were closed', async () => {
      await calls.captureCode(captured('482917'), RECIPIENTS, T0);
      // Limit 1: the email alone is claimed, then released by its retry; no claim outlives the restart.
      const email = only(await claimDue(T0, 1));
      await calls.markDeliveryRetry(email.id, '451 try later', at(30_000));
      const before = await calls.listCodes(10);
      await restart();

      expect(await calls.listCodes(10)).toEqual(before);
      expect(await calls.nextDeliveryDueAt()).toEqual(T0);
      // Ordered by next attempt: the SMS is due now, the email after its retry delay.
      const jobs = await claimDue(LATER);
      expect(jobs.map((j) => [j.channel, j.attempts, j.code?.code])).toEqual([
        ['sms', 0, '482917'],
        ['email', 1, '482917'],
      ]);
      expect(jobs[1]?.id).toBe(email.id);
    });

    it('keeps a scheduled missed-call notice and what was heard', async () => {
      await calls.recordCall(CALL, T0);
      await calls.addHeard(CALL.callSid, 'four eight two');
      await calls.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0);
      await restart();

      expect(await calls.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0)).toBe(false);
      expect(await dueFor('sms')).toMatchObject({ kind: 'missed-call', call: { heard: ['four eight two'] } });
    });
  });

  describe('ping', () => {
    it('answers while open and rejects once closed', async () => {
      await expect(stores.ping()).resolves.toBeUndefined();
      await stores.close();
      await expect(stores.ping()).rejects.toThrow();
    });
  });
});
