import pg from 'pg';
import type { Recipient } from '../../src/store/call-store';
import { LOCKS } from '../../src/store/postgres/locks';
import { admissionFor } from '../../src/voice/forward-budget';
import type { Stores } from '../../src/store/stores';
import type { WebhookStore } from '../../src/store/webhook-store';
import { forwardOutcome } from '../../src/whatsapp/webhook-counters';
import { fixtureWire } from '../helpers/meta-wire';
import { describeEachBackend, onlyOn } from './backends';
import { claimAt } from './claim-at';
import { dispatchOnce, inboxRecord, receive, type Dispatched } from './dispatch-helpers';
import { textBatch } from './posts';
import { PHONE_1 } from './shared';

// Two instances on one database (the database opened twice, as two processes would): what one
// does, the other sees, and work done by both at once is done once, in order.

const T0 = new Date('2025-05-01T09:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const LATER = at(3_600_000);

const HOOK = 'https://hooks.example.com/a';
const RECIPIENTS: Recipient[] = [
  { channel: 'email', to: 'ops@example.com' },
  { channel: 'sms', to: '+14155550199' },
];

const callOf = (n: number) => ({ callSid: `CA${String(n).padStart(32, '0')}`, from: '+16505550100', to: '+14155550123' });

describeEachBackend('two instances on one database', (database, backend) => {
  let a: Stores;
  let b: Stores;

  beforeEach(async () => {
    a = await database().open({ instance: 'instance-a' });
    b = await database().open({ instance: 'instance-b' });
  });

  /** Dispatches on `webhooks` until no POST is left, batch by batch. */
  async function dispatchAll(webhooks: WebhookStore, limit: number): Promise<Dispatched[]> {
    const batches: Dispatched[] = [];
    for (;;) {
      const batch = await dispatchOnce(webhooks, { targets: [HOOK], now: T0, limit });
      if (batch.posts === 0) return batches;
      batches.push(batch);
    }
  }

  it('stores a code captured by both at once once, with one set of deliveries', async () => {
    const captured = { call: callOf(1), code: '482917', source: 'speech' as const, receivedAt: T0 };
    const results = await Promise.all([a.calls.captureCode(captured, RECIPIENTS, T0), b.calls.captureCode(captured, RECIPIENTS, T0)]);

    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    const [code] = await a.calls.listCodes(10);
    expect(await b.calls.listCodes(10)).toHaveLength(1);
    expect(code?.deliveries.map((d) => d.channel)).toEqual(['email', 'sms']);
    expect(await b.calls.claimDueDeliveries(claimAt(T0), 10)).toHaveLength(2);
  });

  it('counts a redelivery stored through one instance and dispatched by the other as a duplicate', async () => {
    await a.webhooks.appendToInbox([inboxRecord(fixtureWire('text'), T0)]);
    expect((await dispatchOnce(b.webhooks, { targets: [HOOK], now: T0 })).created).toHaveLength(1);

    await b.webhooks.appendToInbox([inboxRecord(fixtureWire('text'), at(60_000))]);
    const again = await dispatchOnce(a.webhooks, { targets: [HOOK], now: at(60_000) });

    expect(again).toMatchObject({ posts: 1, created: [], duplicates: 1 });
    expect(await b.webhooks.latestEvents(10)).toHaveLength(1);
    expect(await a.webhooks.claimForwardHeads([HOOK], claimAt(LATER), 10)).toHaveLength(1);
  });

  it('dispatches each POST once when both dispatch at once, and keeps a lane in inbox order', async () => {
    const posts = 30;
    // Stored through both instances, one after the other: the inbox order is this order.
    for (let n = 0; n < posts; n++) {
      await (n % 2 === 0 ? a : b).webhooks.appendToInbox([inboxRecord(textBatch(1, `wamid.post${n}`), at(n))]);
    }

    const batches = (await Promise.all([dispatchAll(a.webhooks, 3), dispatchAll(b.webhooks, 3)])).flat();
    const dispatched = batches.flatMap((batch) => batch.items.map((item) => item.id));
    expect(dispatched).toHaveLength(posts);
    expect(new Set(dispatched).size).toBe(posts);
    expect(batches.reduce((sum, batch) => sum + batch.duplicates, 0)).toBe(0);

    // The lane's forwards, handed out one at a time, follow the order the POSTs were stored in.
    const sent: string[] = [];
    for (let job = await a.webhooks.claimNextInLane(HOOK, PHONE_1, claimAt(T0)); job; job = await b.webhooks.claimNextInLane(HOOK, PHONE_1, claimAt(T0))) {
      sent.push(job.eventId);
      await a.webhooks.markForwardSent(job.id, T0, forwardOutcome('sent', HOOK));
    }
    expect(sent).toEqual(Array.from({ length: posts }, (_, n) => `message:wamid.post${n}-0`));
  });

  it('never leaves a pending notice for a call whose code was captured at the same moment', async () => {
    for (let n = 0; n < 20; n++) {
      const call = callOf(100 + n);
      await a.calls.recordCall(call, T0);
      // Alternate which instance starts first, so either order is tried.
      const schedule = () => a.calls.scheduleMissedCallNotice(call.callSid, RECIPIENTS, T0, T0);
      const capture = () => b.calls.captureCode({ call, code: '482917', source: 'transcription', receivedAt: T0 }, RECIPIENTS, T0);
      await Promise.all(n % 2 === 0 ? [schedule(), capture()] : [capture(), schedule()]);
    }

    const due = await a.calls.claimDueDeliveries(claimAt(LATER), 1_000);
    expect(due.filter((job) => job.kind === 'missed-call')).toEqual([]);
    expect(due).toHaveLength(20 * RECIPIENTS.length);
  });

  it('forwards no more calls than the hourly budget allows when both admit calls at once, and pauses once', async () => {
    const limit = 10;
    const admission = admissionFor({ limit, callersAllowed: null }, '+16505550100', RECIPIENTS);
    // 40 calls, half through each instance, all in flight together.
    const verdicts = await Promise.all(
      Array.from({ length: 40 }, (_, n) => (n % 2 === 0 ? a : b).calls.admitCall(callOf(300 + n), at(n), admission)),
    );

    expect(verdicts.filter((v) => v.forwarding === 'forwarded')).toHaveLength(limit);
    expect(verdicts.filter((v) => v.forwarding === 'over-limit')).toHaveLength(40 - limit);
    expect(verdicts.filter((v) => v.pauseNotice)).toHaveLength(1);
    const due = await b.calls.claimDueDeliveries(claimAt(LATER), 1_000);
    expect(due.filter((job) => job.kind === 'paused')).toHaveLength(RECIPIENTS.length);
  });

  it('never hands one delivery to both when both claim at once', async () => {
    const recipients: Recipient[] = ['a', 'b', 'c', 'd'].map((name) => ({ channel: 'email', to: `${name}@example.com` }));
    for (let round = 0; round < 20; round++) {
      const now = at(round * 1_000);
      await a.calls.captureCode({ call: callOf(200 + round), code: '482917', source: 'dtmf', receivedAt: now }, recipients, now);
      const [byA, byB] = await Promise.all([
        a.calls.claimDueDeliveries(claimAt(now, 'worker-a'), 3),
        b.calls.claimDueDeliveries(claimAt(now, 'worker-b'), 3),
      ]);
      const claimed = [...byA, ...byB].map((job) => job.id);
      // Each due delivery went to exactly one of them: none twice, none left behind.
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed).toHaveLength(recipients.length);
    }
  });

  onlyOn('postgres', backend)('skips pruning while another instance holds the prune lock', async () => {
    await receive(a.webhooks, [fixtureWire('text')], { targets: [], receivedAt: T0 });
    const other = new pg.Client({ connectionString: postgresUrl() });
    await other.connect();
    try {
      // The lock as an instance pruning holds it, keyed by this schema.
      await other.query(`SELECT pg_advisory_lock(hashtext(current_schema()), $1)`, [LOCKS.prune]);
      const expired = (target: string) => forwardOutcome('expired', target);
      expect(await b.webhooks.prune(LATER, expired)).toEqual({ inbox: 0, events: 0, expiredForwards: 0, done: true });
      expect(await a.webhooks.latestEvents(10)).toHaveLength(1);

      await other.query(`SELECT pg_advisory_unlock(hashtext(current_schema()), $1)`, [LOCKS.prune]);
      expect(await b.webhooks.prune(LATER, expired)).toMatchObject({ inbox: 1, events: 1, done: true });
    } finally {
      await other.end();
    }
  });

  function postgresUrl(): string {
    const { location } = database();
    if (location.backend !== 'postgres') throw new Error('a PostgreSQL test ran on SQLite');
    return location.url;
  }
});
