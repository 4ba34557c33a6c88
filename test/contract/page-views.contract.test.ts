import type { CallInfo, CallStore, CapturedCode, Recipient } from '../../src/store/call-store';
import type { SessionStore } from '../../src/store/session-store';
import type { Stores } from '../../src/store/stores';
import type { WebhookStore } from '../../src/store/webhook-store';
import { readWebhookOverview } from '../../src/whatsapp/overview';
import { fixtureWire } from '../helpers/meta-wire';
import { describeEachBackend } from './backends';
import { claimAt } from './claim-at';
import { receive as receiveWith, type Dispatched } from './dispatch-helpers';

// What the operator page reads from the stores: the latest call, the codes, the webhook overview,
// and its sign-ins.

const T0 = new Date('2025-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

const CALL: CallInfo = { callSid: `CA${'a'.repeat(32)}`, from: '+16505550100', to: '+14155550123' };
const OTHER_CALL: CallInfo = { callSid: `CA${'b'.repeat(32)}`, from: '+16505550111', to: '+14155550123' };
const RECIPIENTS: Recipient[] = [
  { channel: 'email', to: 'ops@example.com' },
  { channel: 'sms', to: '+14155550199' },
];

function captured(code: string, call: CallInfo = CALL, receivedAt: Date = T0): CapturedCode {
  return { call, code, source: 'speech', receivedAt };
}

describeEachBackend('what the operator page reads', (database) => {
  let stores: Stores;
  let calls: CallStore;
  let webhooks: WebhookStore;
  let sessions: SessionStore;

  function use(opened: Stores): void {
    stores = opened;
    ({ calls, webhooks, sessions } = opened);
  }

  beforeEach(async () => {
    use(await database().open());
  });

  describe('latestCall', () => {
    it('is null before any call', async () => {
      expect(await calls.latestCall()).toBeNull();
    });

    it('is a call just recorded, with nothing heard, no recording, no code and no notice', async () => {
      await calls.recordCall(CALL, T0);
      expect(await calls.latestCall()).toEqual({
        callSid: CALL.callSid,
        from: CALL.from,
        to: CALL.to,
        startedAt: T0.toISOString(),
        recordingUrl: null,
        heard: [],
        fallbackAt: null,
        codes: 0,
        rehearsal: false,
        notices: [],
        forwarding: 'forwarded',
      });
    });

    it('is the call that started last, not the one recorded last', async () => {
      await calls.recordCall(CALL, at(60_000));
      await calls.recordCall(OTHER_CALL, T0);
      expect((await calls.latestCall())?.callSid).toBe(CALL.callSid);
    });

    it('is the one recorded last of two calls that started at the same moment', async () => {
      await calls.recordCall(OTHER_CALL, T0);
      await calls.recordCall(CALL, T0);
      expect((await calls.latestCall())?.callSid).toBe(CALL.callSid);
    });

    it('shows what was heard in order, the fallback time, the recording and the missed-call notices', async () => {
      await calls.recordCall(CALL, T0);
      await calls.addHeard(CALL.callSid, 'your code is four eight');
      await calls.addHeard(CALL.callSid, 'two nine');
      await calls.markFallback(CALL.callSid, at(20_000));
      await calls.setRecordingUrl(CALL.callSid, 'https://api.twilio.com/recordings/RE1', { replace: false });
      await calls.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(90_000), at(30_000));

      expect(await calls.latestCall()).toEqual({
        callSid: CALL.callSid,
        from: CALL.from,
        to: CALL.to,
        startedAt: T0.toISOString(),
        recordingUrl: 'https://api.twilio.com/recordings/RE1',
        heard: ['your code is four eight', 'two nine'],
        fallbackAt: at(20_000).toISOString(),
        codes: 0,
        rehearsal: false,
        notices: [
          { channel: 'email', to: 'ops@example.com', status: 'pending', attempts: 0, error: null, sentAt: null },
          { channel: 'sms', to: '+14155550199', status: 'pending', attempts: 0, error: null, sentAt: null },
        ],
        forwarding: 'forwarded',
      });
    });

    it('keeps the first fallback time', async () => {
      await calls.recordCall(CALL, T0);
      await calls.markFallback(CALL.callSid, at(20_000));
      await calls.markFallback(CALL.callSid, at(40_000));
      expect((await calls.latestCall())?.fallbackAt).toBe(at(20_000).toISOString());
    });

    it('shows how a notice was delivered', async () => {
      await calls.recordCall(CALL, T0);
      await calls.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, T0, T0);
      const [email, sms] = await calls.claimDueDeliveries(claimAt(T0), 10);
      if (!email || !sms) throw new Error('expected two notices');
      await calls.markDeliverySent(email.id, at(2_000));
      await calls.markDeliveryFailed(sms.id, 'Twilio error 21211');

      expect((await calls.latestCall())?.notices).toEqual([
        { channel: 'email', to: 'ops@example.com', status: 'sent', attempts: 1, error: null, sentAt: at(2_000).toISOString() },
        { channel: 'sms', to: '+14155550199', status: 'failed', attempts: 1, error: 'Twilio error 21211', sentAt: null },
      ]);
    });

    it('counts the codes of the call, and lists their deliveries nowhere among its notices', async () => {
      await calls.captureCode(captured('482917'), RECIPIENTS, T0);
      await calls.captureCode(captured('111111', CALL, at(1_000)), RECIPIENTS, at(1_000));

      const call = await calls.latestCall();
      expect(call?.codes).toBe(2);
      expect(call?.notices).toEqual([]);
    });

    it('shows a notice cancelled once a code arrived after it was scheduled', async () => {
      await calls.recordCall(CALL, T0);
      await calls.scheduleMissedCallNotice(CALL.callSid, RECIPIENTS, at(60_000), T0);
      await calls.captureCode({ ...captured('482917', CALL, at(30_000)), source: 'transcription' }, RECIPIENTS, at(30_000));

      const call = await calls.latestCall();
      expect(call?.codes).toBe(1);
      expect(call?.notices.map((n) => [n.channel, n.status])).toEqual([
        ['email', 'cancelled'],
        ['sms', 'cancelled'],
      ]);
    });

    it('shows neither the codes nor the notices of an earlier call', async () => {
      await calls.recordCall(OTHER_CALL, T0);
      await calls.captureCode(captured('482917', OTHER_CALL, T0), RECIPIENTS, T0);
      await calls.recordCall(CALL, at(60_000));
      await calls.recordCall({ ...OTHER_CALL, callSid: `CA${'c'.repeat(32)}` }, at(30_000));
      await calls.scheduleMissedCallNotice(`CA${'c'.repeat(32)}`, RECIPIENTS, at(30_000), at(30_000));

      expect(await calls.latestCall()).toMatchObject({ callSid: CALL.callSid, codes: 0, notices: [] });
    });
  });

  describe('listCodes', () => {
    it('is empty before any code', async () => {
      await calls.recordCall(CALL, T0);
      expect(await calls.listCodes(10)).toEqual([]);
    });

    it('shows a code with its call and its own deliveries, not the missed-call notices of the call', async () => {
      await calls.recordCall(CALL, T0);
      await calls.scheduleMissedCallNotice(CALL.callSid, [{ channel: 'email', to: 'notices@example.com' }], at(60_000), T0);
      await calls.captureCode(captured('482917', CALL, at(10_000)), RECIPIENTS, at(10_000));

      expect(await calls.listCodes(10)).toEqual([
        {
          code: '482917',
          source: 'speech',
          callSid: CALL.callSid,
          from: CALL.from,
          to: CALL.to,
          receivedAt: at(10_000).toISOString(),
          rehearsal: false,
          forwarding: 'forwarded',
          deliveries: [
            { channel: 'email', to: 'ops@example.com', status: 'pending', attempts: 0, error: null, sentAt: null },
            { channel: 'sms', to: '+14155550199', status: 'pending', attempts: 0, error: null, sentAt: null },
          ],
        },
      ]);
    });

    it('lists the code stored last first when two were received at the same moment', async () => {
      await calls.captureCode(captured('111111'), RECIPIENTS, T0);
      await calls.captureCode(captured('222222', OTHER_CALL), RECIPIENTS, T0);
      expect((await calls.listCodes(10)).map((c) => c.code)).toEqual(['222222', '111111']);
    });
  });

  describe('the webhook overview', () => {
    /** Stores the POSTs and dispatches them, as the dispatcher does, with no target to forward to. */
    const receive = (names: string[], now: Date): Promise<Dispatched> =>
      receiveWith(webhooks, names.map((name) => fixtureWire(name)), { targets: [], receivedAt: now });
    const overviewOf = () => readWebhookOverview(webhooks, [], 10);

    it('has no event of any kind and no last event before a dispatch', async () => {
      const overview = await overviewOf();
      expect(overview.counts.byKind).toEqual({ message: 0, status: 0, error: 0, field: 0 });
      expect(overview.lastEventAt).toBeNull();
    });

    it('counts the events of each kind and notes when the last one was dispatched', async () => {
      await receive(['mixed-batch', 'value-errors', 'status-failed'], at(5_000));

      const overview = await overviewOf();
      expect(overview.counts.byKind).toEqual({ message: 3, status: 2, error: 1, field: 1 });
      expect(overview.counts.events).toBe(7);
      expect(overview.lastEventAt).toBe(at(5_000).toISOString());
    });

    it('keeps counting across dispatches', async () => {
      await receive(['text'], T0);
      await receive(['image', 'account-update'], at(10_000));

      const overview = await overviewOf();
      expect(overview.counts.byKind).toEqual({ message: 2, status: 0, error: 0, field: 1 });
      expect(overview.lastEventAt).toBe(at(10_000).toISOString());
    });

    it('counts a redelivered event once and does not move the last event time', async () => {
      await receive(['text'], T0);
      const again = await receive(['text'], at(60_000));

      expect(again.duplicates).toBe(1);
      const overview = await overviewOf();
      expect(overview.counts.byKind.message).toBe(1);
      expect(overview.lastEventAt).toBe(T0.toISOString());
    });
  });

  describe('sign-in sessions', () => {
    const HASH = 'a'.repeat(64);
    const OTHER_HASH = 'b'.repeat(64);

    it('is open from when it was opened until just before it expires', async () => {
      await sessions.openSession(HASH, T0, at(60_000));
      expect(await sessions.isSessionOpen(HASH, T0)).toBe(true);
      expect(await sessions.isSessionOpen(HASH, at(59_999))).toBe(true);
      expect(await sessions.isSessionOpen(HASH, at(60_000))).toBe(false);
    });

    it('knows no session it was not given', async () => {
      await sessions.openSession(HASH, T0, at(60_000));
      expect(await sessions.isSessionOpen(OTHER_HASH, T0)).toBe(false);
    });

    it('closes one session and leaves the others open', async () => {
      await sessions.openSession(HASH, T0, at(60_000));
      await sessions.openSession(OTHER_HASH, T0, at(60_000));
      await sessions.closeSession(HASH);
      expect(await sessions.isSessionOpen(HASH, T0)).toBe(false);
      expect(await sessions.isSessionOpen(OTHER_HASH, T0)).toBe(true);
    });

    it('changes nothing when closing an unknown session', async () => {
      await sessions.openSession(HASH, T0, at(60_000));
      await expect(sessions.closeSession(OTHER_HASH)).resolves.toBeUndefined();
      expect(await sessions.isSessionOpen(HASH, T0)).toBe(true);
    });

    it('survives a restart', async () => {
      await sessions.openSession(HASH, T0, at(60_000));
      await stores.close();
      use(await database().open());
      expect(await sessions.isSessionOpen(HASH, at(1_000))).toBe(true);
    });

    it('can open a session again once the expired one with the same hash was forgotten', async () => {
      await sessions.openSession(HASH, T0, at(60_000));
      await sessions.openSession(HASH, at(60_000), at(120_000));
      expect(await sessions.isSessionOpen(HASH, at(90_000))).toBe(true);
    });
  });
});
