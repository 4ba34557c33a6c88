import type { CallStore, DeliveryJob } from '../../src/store/call-store';
import type { ForwardJob, WebhookStore } from '../../src/store/webhook-store';
import type { WhatsAppEvent } from '../../src/whatsapp/event';
import { forwardOutcome } from '../../src/whatsapp/webhook-counters';
import { fixtureWire } from '../helpers/meta-wire';
import { describeEachBackend } from './backends';
import { claimAt, LEASE_MS } from './claim-at';
import { receive } from './dispatch-helpers';
import { only, HOOK_A, HOOK_B, PHONE_1, PHONE_2, TARGETS } from './shared';

// The claim contract (src/store/claims.ts): work held by one worker until its lease ends, renewed
// only by its holder, released when finished. Times are given in each claim: nothing sleeps.

const T0 = new Date('2025-04-01T08:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
/** When a claim made at T0 stops holding. */
const LEASE_END = at(LEASE_MS);

const WABA = '102290129340398';

const ids = (jobs: Array<{ id: number }>) => jobs.map((j) => j.id);

describeEachBackend('claims on deliveries', (database) => {
  let calls: CallStore;

  beforeEach(async () => {
    calls = (await database().open()).calls;
    const call = { callSid: `CA${'c'.repeat(32)}`, from: '+16505550100', to: '+14155550123' };
    const recipients = [
      { channel: 'email' as const, to: 'ops@example.com' },
      { channel: 'sms' as const, to: '+14155550199' },
    ];
    await calls.captureCode({ call, code: '482917', source: 'dtmf', receivedAt: T0 }, recipients, T0);
  });

  const claim = (worker: string, now: Date, limit = 10) => calls.claimDueDeliveries(claimAt(now, worker), limit);

  /** The code's two deliveries (email, then SMS), claimed by `worker` at T0. */
  async function claimBoth(worker = 'w1'): Promise<[DeliveryJob, DeliveryJob]> {
    const jobs = await claim(worker, T0);
    expect(jobs.map((j) => j.channel)).toEqual(['email', 'sms']);
    return jobs as [DeliveryJob, DeliveryJob];
  }

  it('hands a claimed delivery to no other worker while its lease lasts', async () => {
    await claimBoth('w1');
    expect(await claim('w2', at(LEASE_MS - 1))).toEqual([]);
  });

  it('hands a delivery out again once its lease has passed', async () => {
    const [email, sms] = await claimBoth('w1');
    const again = await claim('w2', LEASE_END);
    expect(ids(again)).toEqual([email.id, sms.id]);
    expect(again[0]).toMatchObject({ attempts: 0, code: { code: '482917' } });
  });

  it('extends the claims of their holder when renewed', async () => {
    const [email, sms] = await claimBoth('w1');
    await calls.renewDeliveryClaims([email.id], claimAt(at(20_000), 'w1'));

    // The SMS kept its first lease; the email holds until 20 s + the lease.
    expect(ids(await claim('w2', LEASE_END))).toEqual([sms.id]);
    expect(await claim('w3', at(20_000 + LEASE_MS - 1))).toEqual([]);
    expect(ids(await claim('w3', at(20_000 + LEASE_MS)))).toEqual([email.id]);
  });

  it('extends nothing when another worker renews', async () => {
    const [email, sms] = await claimBoth('w1');
    await calls.renewDeliveryClaims([email.id, sms.id], claimAt(at(20_000), 'w2'));
    expect(ids(await claim('w3', LEASE_END))).toEqual([email.id, sms.id]);
  });

  it('releases the claim of a delivery marked for a retry: due again at its next attempt, lease or not', async () => {
    const [email] = await claimBoth('w1');
    await calls.markDeliveryRetry(email.id, '451 try later', at(1_000));

    expect(await claim('w2', at(999))).toEqual([]);
    expect(only(await claim('w2', at(1_000)))).toMatchObject({ id: email.id, attempts: 1 });
  });

  it('never hands out a delivery marked sent or failed, not even once its lease has passed', async () => {
    const [email, sms] = await claimBoth('w1');
    await calls.markDeliverySent(email.id, at(500));
    await calls.markDeliveryFailed(sms.id, 'refused');

    expect(await claim('w2', LEASE_END)).toEqual([]);
    expect(await calls.nextDeliveryDueAt()).toBeNull();
  });

  it('gives the end of the lease as the next due time of a claimed delivery', async () => {
    const [email, sms] = await claimBoth('w1');
    expect(await calls.nextDeliveryDueAt()).toEqual(LEASE_END);

    await calls.renewDeliveryClaims([email.id, sms.id], claimAt(at(20_000), 'w1'));
    expect(await calls.nextDeliveryDueAt()).toEqual(at(20_000 + LEASE_MS));
  });

  it('gives the due time of a free delivery when it is earlier than a lease end', async () => {
    expect(only(await claim('w1', T0, 1)).channel).toBe('email');
    expect(await calls.nextDeliveryDueAt()).toEqual(T0);
  });

  it('gives the next attempt of a delivery released for a retry', async () => {
    const [email, sms] = await claimBoth('w1');
    await calls.markDeliveryRetry(email.id, 'busy', at(90_000));
    await calls.markDeliverySent(sms.id, at(100));
    expect(await calls.nextDeliveryDueAt()).toEqual(at(90_000));
  });
});

describeEachBackend('claims on forwards', (database) => {
  let webhooks: WebhookStore;
  /** The mixed batch: three events on PHONE_1, one on PHONE_2, one field event on the WABA lane. */
  let events: WhatsAppEvent[];

  beforeEach(async () => {
    webhooks = (await database().open()).webhooks;
    events = (await receive(webhooks, [fixtureWire('mixed-batch')], { targets: TARGETS, receivedAt: T0 })).created;
  });

  const heads = (worker: string, now: Date, targets: string[] = TARGETS) => webhooks.claimForwardHeads(targets, claimAt(now, worker), 100);
  const nextInLane = (worker: string, now: Date, target = HOOK_A, lane = PHONE_1) => webhooks.claimNextInLane(target, lane, claimAt(now, worker));
  const lanes = (jobs: ForwardJob[]) => jobs.map((j) => [j.target, j.lane, j.eventId]);
  const markSent = (job: ForwardJob | null) => webhooks.markForwardSent(job?.id ?? 0, T0, forwardOutcome('sent', job?.target ?? ''));

  it("claims only a lane's head, never the forwards behind it", async () => {
    const claimed = await heads('w1', T0);
    expect(claimed.filter((j) => j.target === HOOK_A && j.lane === PHONE_1).map((j) => j.eventId)).toEqual([events[0]?.id]);
    // Every head is held: the forwards behind them are not claimable, by anyone.
    expect(await heads('w2', T0)).toEqual([]);
    expect(await nextInLane('w2', T0)).toBeNull();
  });

  it('blocks the lane of a claimed head for other workers, but not other lanes or targets', async () => {
    await nextInLane('w1', T0);
    expect(lanes(await heads('w2', T0))).toEqual([
      [HOOK_B, PHONE_1, events[0]?.id],
      [HOOK_A, PHONE_2, events[3]?.id],
      [HOOK_B, PHONE_2, events[3]?.id],
      [HOOK_A, WABA, events[4]?.id],
      [HOOK_B, WABA, events[4]?.id],
    ]);
  });

  it('gives the next forward of a lane only once the one before is finished', async () => {
    const first = await nextInLane('w1', T0);
    // Not even its holder gets the forward behind a head it still has in hand.
    expect(await nextInLane('w1', T0)).toBeNull();

    await markSent(first);
    const second = await nextInLane('w1', T0);
    expect(second?.eventId).toBe(events[1]?.id);

    await webhooks.markForwardGivenUp(second?.id ?? 0, { status: 'rejected', error: 'HTTP 422', httpStatus: 422, at: T0 }, forwardOutcome('rejected', HOOK_A));
    expect((await nextInLane('w1', T0))?.eventId).toBe(events[2]?.id);
  });

  it('frees a released head at once, for any worker', async () => {
    const head = await nextInLane('w1', T0);
    await webhooks.releaseForwardClaim(head?.id ?? 0, 'w1');
    expect(await nextInLane('w2', T0)).toMatchObject({ id: head?.id, attempts: 0 });
  });

  it('keeps a head claimed when another worker releases it', async () => {
    const head = await nextInLane('w1', T0);
    await webhooks.releaseForwardClaim(head?.id ?? 0, 'w2');
    expect(await nextInLane('w2', T0)).toBeNull();
  });

  it('extends the claims of their holder when renewed, and nobody else', async () => {
    // The heads of PHONE_1 for HOOK_A and HOOK_B come first.
    const [a, b] = (await heads('w1', T0)) as [ForwardJob, ForwardJob];
    expect(lanes([a, b])).toEqual([
      [HOOK_A, PHONE_1, events[0]?.id],
      [HOOK_B, PHONE_1, events[0]?.id],
    ]);
    await webhooks.renewForwardClaims([a.id], claimAt(at(20_000), 'w1'));
    await webhooks.renewForwardClaims([b.id], claimAt(at(20_000), 'w2'));

    const atLeaseEnd = ids(await heads('w3', LEASE_END));
    expect(atLeaseEnd).not.toContain(a.id);
    expect(atLeaseEnd).toContain(b.id);
    expect(await nextInLane('w4', at(20_000 + LEASE_MS - 1))).toBeNull();
    expect((await nextInLane('w4', at(20_000 + LEASE_MS)))?.id).toBe(a.id);
  });

  it('gives the end of the lease as the next due time of a claimed head', async () => {
    await heads('w1', T0, [HOOK_A]);
    expect(await webhooks.nextForwardDueAt([HOOK_A])).toEqual(LEASE_END);
    // HOOK_B's heads are free and due.
    expect(await webhooks.nextForwardDueAt(TARGETS)).toEqual(T0);
  });

  it('hands a head whose lease ran out to another worker', async () => {
    const head = await nextInLane('w1', T0);
    expect(await nextInLane('w2', at(LEASE_MS - 1))).toBeNull();
    expect(await nextInLane('w2', LEASE_END)).toMatchObject({ id: head?.id, eventId: events[0]?.id, attempts: 0 });
  });
});
