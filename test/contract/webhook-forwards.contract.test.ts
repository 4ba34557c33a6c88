import pg from 'pg';
import { NEXT_IN_LANE } from '../../src/store/postgres/forwards';
import type { Stores } from '../../src/store/stores';
import type { ForwardJob, WebhookStore } from '../../src/store/webhook-store';
import type { WhatsAppEvent } from '../../src/whatsapp/event';
import { readWebhookOverview } from '../../src/whatsapp/overview';
import { forwardOutcome } from '../../src/whatsapp/webhook-counters';
import { PHONE_NUMBER_ID, textBatch } from '../helpers/meta-payloads';
import { fixtureWire } from '../helpers/meta-wire';
import { describeEachBackend, onlyOn } from './backends';
import { claimAt } from './claim-at';
import { receive as receiveWith } from './dispatch-helpers';
import { only, HOOK_A, HOOK_B, PHONE_1, PHONE_2, TARGETS } from './shared';

// What is owed to each forwarding target: lanes in arrival order, and the overview of each queue.
// The claims themselves (leases, workers) are in claims.contract.test.ts.

const T0 = new Date('2025-02-12T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

const WABA = '102290129340398';

const describeJob = (job: ForwardJob) => [job.target, job.lane, job.eventId];

describeEachBackend('webhook forwards', (database, backend) => {
  let stores: Stores;
  let webhooks: WebhookStore;

  beforeEach(async () => {
    stores = await database().open();
    webhooks = stores.webhooks;
  });

  const receive = (bodies: Buffer[], options: { targets?: string[]; receivedAt?: Date } = {}) =>
    receiveWith(webhooks, bodies, { targets: options.targets ?? TARGETS, receivedAt: options.receivedAt ?? T0 });
  const heads = (targets: string[], now: Date) => webhooks.claimForwardHeads(targets, claimAt(now), 100);
  const nextInLane = (target: string, lane: string, now: Date) => webhooks.claimNextInLane(target, lane, claimAt(now));
  const markSent = (job: ForwardJob | null, sentAt: Date) => webhooks.markForwardSent(job?.id ?? 0, sentAt, forwardOutcome('sent', job?.target ?? ''));
  const markRejected = (job: ForwardJob | null, error: string) =>
    webhooks.markForwardGivenUp(job?.id ?? 0, { status: 'rejected', error, httpStatus: null, at: T0 }, forwardOutcome('rejected', job?.target ?? ''));
  const forwarding = async (targets: string[]) => (await readWebhookOverview(webhooks, targets, 10)).forwarding;

  describe('forward queues', () => {
    /** The mixed batch: three events on PHONE_1, one on PHONE_2, one field event on the WABA lane. */
    async function receiveMixedBatch(): Promise<WhatsAppEvent[]> {
      return (await receive([fixtureWire('mixed-batch')])).created;
    }

    it('gives one head per (target, lane), in id order', async () => {
      const ids = (await receiveMixedBatch()).map((e) => e.id);

      expect((await heads(TARGETS, T0)).map(describeJob)).toEqual([
        [HOOK_A, PHONE_1, ids[0]],
        [HOOK_B, PHONE_1, ids[0]],
        [HOOK_A, PHONE_2, ids[3]],
        [HOOK_B, PHONE_2, ids[3]],
        [HOOK_A, WABA, ids[4]],
        [HOOK_B, WABA, ids[4]],
      ]);
    });

    it('gives at most `limit` heads, oldest first', async () => {
      const ids = (await receiveMixedBatch()).map((e) => e.id);
      const jobs = await webhooks.claimForwardHeads(TARGETS, claimAt(T0), 3);
      expect(jobs.map(describeJob)).toEqual([
        [HOOK_A, PHONE_1, ids[0]],
        [HOOK_B, PHONE_1, ids[0]],
        [HOOK_A, PHONE_2, ids[3]],
      ]);
    });

    it('gives heads only for the targets asked for', async () => {
      await receiveMixedBatch();
      expect((await heads([HOOK_B], T0)).map((j) => j.target)).toEqual([HOOK_B, HOOK_B, HOOK_B]);
    });

    it('gives no head before its first attempt is due', async () => {
      await receive([fixtureWire('text')], { receivedAt: at(10_000) });
      expect(await heads(TARGETS, at(9_999))).toEqual([]);
      expect(await nextInLane(HOOK_A, PHONE_1, at(9_999))).toBeNull();
      expect(await nextInLane(HOOK_A, PHONE_1, at(10_000))).not.toBeNull();
    });

    it("hands out a lane's forwards one after another, in arrival order", async () => {
      const ids = (await receiveMixedBatch()).map((e) => e.id);
      const seen: string[] = [];
      for (let job = await nextInLane(HOOK_A, PHONE_1, T0); job; job = await nextInLane(HOOK_A, PHONE_1, T0)) {
        seen.push(job.eventId);
        await markSent(job, T0);
      }
      expect(seen).toEqual(ids.slice(0, 3));
      // The other target's lane has not moved.
      expect((await nextInLane(HOOK_B, PHONE_1, T0))?.eventId).toBe(ids[0]);
    });

    it('blocks a lane behind a head waiting for its retry, but not other lanes or targets', async () => {
      const ids = (await receiveMixedBatch()).map((e) => e.id);
      const head = await nextInLane(HOOK_A, PHONE_1, T0);
      await webhooks.markForwardRetry(head?.id ?? 0, 'the target answered HTTP 503', at(60_000));

      expect(await nextInLane(HOOK_A, PHONE_1, at(1_000))).toBeNull();
      expect((await heads(TARGETS, at(1_000))).map(describeJob)).toEqual([
        [HOOK_B, PHONE_1, ids[0]],
        [HOOK_A, PHONE_2, ids[3]],
        [HOOK_B, PHONE_2, ids[3]],
        [HOOK_A, WABA, ids[4]],
        [HOOK_B, WABA, ids[4]],
      ]);

      const retried = await nextInLane(HOOK_A, PHONE_1, at(60_000));
      expect(retried).toMatchObject({ id: head?.id, eventId: ids[0], attempts: 1 });
    });

    it('moves the lane on past a forward the target rejected', async () => {
      const ids = (await receiveMixedBatch()).map((e) => e.id);
      await markRejected(await nextInLane(HOOK_A, PHONE_1, T0), 'the target answered HTTP 422');
      expect((await nextInLane(HOOK_A, PHONE_1, T0))?.eventId).toBe(ids[1]);
    });

    it('says when the next head is due, and null when nothing is owed', async () => {
      await receive([fixtureWire('text')], { targets: [HOOK_A] });
      expect(await webhooks.nextForwardDueAt([HOOK_A])).toEqual(T0);

      const head = await nextInLane(HOOK_A, PHONE_1, T0);
      await webhooks.markForwardRetry(head?.id ?? 0, 'timed out', at(30_000));
      expect(await webhooks.nextForwardDueAt([HOOK_A])).toEqual(at(30_000));
      expect(await webhooks.nextForwardDueAt([HOOK_B])).toBeNull();

      await markSent(head, at(30_000));
      expect(await webhooks.nextForwardDueAt([HOOK_A])).toBeNull();
    });
  });

  describe('the overview of forwarding', () => {
    it('counts sent and rejected forwards per target, with the backlog and its oldest item', async () => {
      await receive([fixtureWire('text')], { receivedAt: T0 });
      await receive([fixtureWire('image')], { receivedAt: at(5_000) });
      const [textA, textB] = await heads(TARGETS, T0);
      await markSent(textA ?? null, at(1_000));
      await markRejected(textB ?? null, 'the target answered HTTP 410');

      expect(await forwarding(TARGETS)).toEqual([
        { target: HOOK_A, configured: true, backlog: 1, oldestPendingAt: at(5_000).toISOString(), sent: 1, rejected: 0, expired: 0, lastError: null },
        {
          target: HOOK_B,
          configured: true,
          backlog: 1,
          oldestPendingAt: at(5_000).toISOString(),
          sent: 0,
          rejected: 1,
          expired: 0,
          lastError: 'the target answered HTTP 410',
        },
      ]);
    });

    it('also lists a target no longer configured that is still owed events', async () => {
      await receive([fixtureWire('text')]);
      expect((await forwarding([HOOK_A])).map((f) => [f.target, f.configured, f.backlog])).toEqual([
        [HOOK_A, true, 1],
        [HOOK_B, false, 1],
      ]);
      expect(await webhooks.pendingTargets()).toEqual(expect.arrayContaining([HOOK_A, HOOK_B]));
    });

    it('counts a forward marked sent twice once', async () => {
      await receive([fixtureWire('text')], { targets: [HOOK_A] });
      const head = await nextInLane(HOOK_A, PHONE_1, T0);
      await markSent(head, T0);
      await markSent(head, at(1));
      expect(only(await forwarding([HOOK_A])).sent).toBe(1);
    });

    it('shows the last error of a forward waiting for a retry, and forgets it once sent', async () => {
      await receive([fixtureWire('text')], { targets: [HOOK_A] });
      const head = await nextInLane(HOOK_A, PHONE_1, T0);
      await webhooks.markForwardRetry(head?.id ?? 0, 'could not reach the target: ECONNREFUSED', at(1_000));
      expect(only(await forwarding([HOOK_A])).lastError).toBe('could not reach the target: ECONNREFUSED');

      await markSent(head, at(1_000));
      expect(only(await forwarding([HOOK_A]))).toMatchObject({ lastError: null, backlog: 0, oldestPendingAt: null, sent: 1 });
    });

    it('shows a target without the credentials in its URL', async () => {
      const target = 'https://user:s3cret@hooks.example.com/wa';
      await receive([fixtureWire('text')], { targets: [target] });
      const view = only(await forwarding([target]));
      expect(view.target).toBe('https://hooks.example.com/wa');
      expect(view.backlog).toBe(1);
    });
  });

  onlyOn('postgres', backend)(
    "claims a lane's next event through the pending-forwards index, however many the lane has sent since the statistics were taken",
    async () => {
      // 3,000 events on one lane, analysed while all were owed; then all but the last 3 sent, as a
      // backfill's sending leaves them before autovacuum analyses again.
      await receive([0, 1, 2].map((i) => textBatch(1000, { first: i * 1000 })), { targets: [HOOK_A] });
      const { location } = database();
      if (location.backend !== 'postgres') throw new Error('a PostgreSQL test ran on SQLite');
      const client = new pg.Client({ connectionString: location.url });
      await client.connect();
      try {
        await client.query('ANALYZE webhook_forwards');
        await client.query(`UPDATE webhook_forwards SET status = 'sent', sent_at = now() WHERE id < (SELECT max(id) - 2 FROM webhook_forwards)`);
        const claim = claimAt(T0);
        const plan = await client.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${NEXT_IN_LANE}`, [HOOK_A, claim.now, claim.worker, claim.until, PHONE_NUMBER_ID]);
        const text = JSON.stringify(plan.rows[0]?.['QUERY PLAN']);
        expect(text).toContain('"Index Name":"webhook_forwards_queue"');
        // The primary key is used only to look the head up by its id, never walked with the lane as a filter.
        expect(text).not.toMatch(/"Index Name":"webhook_forwards_pkey"[^}]*"Filter":"[^"]*lane/);
      } finally {
        await client.end();
      }
      const next = await nextInLane(HOOK_A, PHONE_NUMBER_ID, T0);
      expect(next?.eventId).toBe('message:wamid.TEST00002997');
    },
  );
});
