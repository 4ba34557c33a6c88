import pg from 'pg';
import { BACKFILL_EVENTS } from '../../src/store/postgres/dead-letters';
import type { Stores } from '../../src/store/stores';
import type { BackfillPosition, DeadLetterStatus, ForwardJob, WebhookStore } from '../../src/store/webhook-store';
import { laneOf } from '../../src/whatsapp/dispatch-plan';
import type { WhatsAppEvent } from '../../src/whatsapp/event';
import { forwardOutcome } from '../../src/whatsapp/webhook-counters';
import { fixtureWire } from '../helpers/meta-wire';
import { describeEachBackend, onlyOn } from './backends';
import { claimAt } from './claim-at';
import { receive as receiveWith } from './dispatch-helpers';
import { textBatch } from './posts';
import { HOOK_A, HOOK_B, PHONE_1, PHONE_2, TARGETS } from './shared';

// Dead letters (forwards given up, kept until their events are pruned), replay and backfill.

const T0 = new Date('2025-02-12T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const WABA = '102290129340398';
/** A target added later: it was owed nothing when the events arrived. */
const HOOK_C = 'https://hooks.example.com/c';

const laneOfStored = (event: string) => laneOf(JSON.parse(event) as WhatsAppEvent);

describeEachBackend('dead letters, replay and backfill', (database, backend) => {
  let stores: Stores;
  let webhooks: WebhookStore;

  beforeEach(async () => {
    stores = await database().open();
    webhooks = stores.webhooks;
  });

  const receive = (bodies: Buffer[], options: { targets?: string[]; receivedAt?: Date } = {}) =>
    receiveWith(webhooks, bodies, { targets: options.targets ?? TARGETS, receivedAt: options.receivedAt ?? T0 });
  const nextInLane = (target: string, lane: string, now: Date) => webhooks.claimNextInLane(target, lane, claimAt(now));
  const giveUp = (job: ForwardJob | null, status: DeadLetterStatus, when: Date, httpStatus: number | null = 422) =>
    webhooks.markForwardGivenUp(
      job?.id ?? 0,
      { status, error: httpStatus === null ? 'could not reach the target: ECONNREFUSED' : `the target answered HTTP ${httpStatus}`, httpStatus, at: when },
      forwardOutcome(status, job?.target ?? ''),
    );
  /** Gives up the head of the lane `target`/PHONE_1 at `when`, and returns it. */
  const giveUpHead = async (target: string, status: DeadLetterStatus, when: Date, httpStatus: number | null = 422) => {
    const job = await nextInLane(target, PHONE_1, when);
    await giveUp(job, status, when, httpStatus);
    return job;
  };
  const list = (query: Partial<Parameters<WebhookStore['listDeadLetters']>[0]> = {}) => webhooks.listDeadLetters({ limit: 50, ...query });
  const counts = async () => Object.fromEntries((await webhooks.deadLetterCounts()).map((c) => [`${c.status} ${c.target}`, c.count]));
  const replay = (target: string, options: { status?: DeadLetterStatus; eventIds?: string[]; after?: number; limit?: number; now?: Date } = {}) =>
    webhooks.replayDeadLetters({ target, status: options.status, eventIds: options.eventIds }, options.after ?? 0, options.limit ?? 1_000, options.now ?? at(60_000));
  const backfill = (target: string, since: Date, options: { limit?: number; now?: Date } = {}) =>
    webhooks.backfillForwards({ target, since, after: null, limit: options.limit ?? 1_000, at: options.now ?? at(60_000) }, laneOfStored);
  /** Every event `target` is owed now, lane by lane, in the order they would be sent. */
  async function drain(target: string, lanes: string[], now: Date): Promise<Array<[string, string]>> {
    const sent: Array<[string, string]> = [];
    for (const lane of lanes) {
      for (let job = await nextInLane(target, lane, now); job; job = await nextInLane(target, lane, now)) {
        sent.push([lane, job.eventId]);
        await webhooks.markForwardSent(job.id, now, forwardOutcome('sent', target));
      }
    }
    return sent;
  }

  describe('dead letters', () => {
    it('keeps a refused forward as a dead letter: event, target, status, attempts, HTTP status, error, when it gave up', async () => {
      const [event] = (await receive([fixtureWire('text')], { targets: [HOOK_A] })).created;
      await giveUpHead(HOOK_A, 'rejected', at(5_000));

      expect(await list()).toEqual([
        {
          position: { givenUpAt: at(5_000), id: expect.any(Number) as number },
          eventId: event?.id,
          target: HOOK_A,
          lane: PHONE_1,
          status: 'rejected',
          attempts: 1,
          httpStatus: 422,
          error: 'the target answered HTTP 422',
          givenUpAt: at(5_000),
          receivedAt: T0,
        },
      ]);
    });

    it('keeps an expired forward, with no HTTP status when none came', async () => {
      await receive([fixtureWire('text')], { targets: [HOOK_A] });
      await giveUpHead(HOOK_A, 'expired', at(5_000), null);
      expect(await list()).toMatchObject([{ status: 'expired', httpStatus: null, error: 'could not reach the target: ECONNREFUSED' }]);
    });

    it('leaves forwards sent or still owed out of the dead letters', async () => {
      await receive([textBatch(2)], { targets: [HOOK_A] });
      const first = await nextInLane(HOOK_A, PHONE_1, T0);
      await webhooks.markForwardSent(first?.id ?? 0, T0, forwardOutcome('sent', HOOK_A));
      expect(await list()).toEqual([]);
    });

    it('lists newest first, by when each was given up, a page at a time from the last one shown', async () => {
      const ids = (await receive([textBatch(5)], { targets: [HOOK_A] })).created.map((e) => e.id);
      // Given up in lane order, at times that do not follow it: two at the same time.
      const times = [at(3_000), at(1_000), at(5_000), at(5_000), at(2_000)];
      for (const when of times) await giveUpHead(HOOK_A, 'rejected', when);
      const newestFirst = [ids[3], ids[2], ids[0], ids[4], ids[1]];

      const firstPage = await list({ limit: 2 });
      expect(firstPage.map((d) => d.eventId)).toEqual(newestFirst.slice(0, 2));
      const secondPage = await list({ limit: 2, before: firstPage.at(-1)?.position });
      expect(secondPage.map((d) => d.eventId)).toEqual(newestFirst.slice(2, 4));
      const lastPage = await list({ limit: 2, before: secondPage.at(-1)?.position });
      expect(lastPage.map((d) => d.eventId)).toEqual(newestFirst.slice(4));
    });

    it('lists one target or one status when asked', async () => {
      await receive([textBatch(2)]);
      await giveUpHead(HOOK_A, 'rejected', at(1_000));
      await giveUpHead(HOOK_A, 'expired', at(2_000));
      await giveUpHead(HOOK_B, 'rejected', at(3_000));

      expect((await list({ target: HOOK_A })).map((d) => [d.target, d.status])).toEqual([
        [HOOK_A, 'expired'],
        [HOOK_A, 'rejected'],
      ]);
      expect((await list({ status: 'rejected' })).map((d) => d.target)).toEqual([HOOK_B, HOOK_A]);
      expect((await list({ target: HOOK_B, status: 'expired' }))).toEqual([]);
      // A time is a place in the list too: those given up before it.
      expect((await list({ before: { givenUpAt: at(2_000), id: 0 } })).map((d) => d.givenUpAt)).toEqual([at(1_000)]);
    });

    it('counts them per target and status, as they are given up, queued again and pruned', async () => {
      await receive([textBatch(3)], { receivedAt: T0 });
      await receive([fixtureWire('image')], { receivedAt: at(10_000) });
      await giveUpHead(HOOK_A, 'rejected', at(1_000));
      await giveUpHead(HOOK_A, 'rejected', at(1_000));
      await giveUpHead(HOOK_A, 'expired', at(1_000));
      await giveUpHead(HOOK_A, 'expired', at(11_000)); // the image
      await giveUpHead(HOOK_B, 'rejected', at(1_000));
      expect(await counts()).toEqual({ [`rejected ${HOOK_A}`]: 2, [`expired ${HOOK_A}`]: 2, [`rejected ${HOOK_B}`]: 1 });

      await replay(HOOK_A, { status: 'rejected' });
      expect(await counts()).toEqual({ [`rejected ${HOOK_A}`]: 0, [`expired ${HOOK_A}`]: 2, [`rejected ${HOOK_B}`]: 1 });

      // The text batch is pruned with its dead letters; the image's stays.
      await webhooks.prune(at(5_000), (target) => forwardOutcome('expired', target));
      expect(await counts()).toEqual({ [`rejected ${HOOK_A}`]: 0, [`expired ${HOOK_A}`]: 1, [`rejected ${HOOK_B}`]: 0 });
      expect((await list()).map((d) => d.givenUpAt)).toEqual([at(11_000)]);
    });
  });

  describe('replay', () => {
    it('queues a dead letter again at its old place in its lane, with the same stored event, attempts from 0', async () => {
      const ids = (await receive([textBatch(3)], { targets: [HOOK_A] })).created.map((e) => e.id);
      const refused = await giveUpHead(HOOK_A, 'rejected', at(1_000));

      expect(await replay(HOOK_A, { now: at(3_000) })).toEqual({ queued: 1, next: null });
      expect(await list()).toEqual([]);
      // The head of its lane again, before the events that came after it; its give-up age counts from the replay.
      expect(await nextInLane(HOOK_A, PHONE_1, at(3_000))).toMatchObject({
        id: refused?.id,
        eventId: ids[0],
        body: refused?.body,
        attempts: 0,
        queuedAt: at(3_000),
      });
    });

    it('is idempotent: a second replay finds them owed already and queues nothing', async () => {
      await receive([textBatch(2)], { targets: [HOOK_A] });
      await giveUpHead(HOOK_A, 'rejected', at(1_000));
      await giveUpHead(HOOK_A, 'expired', at(1_000));

      expect((await replay(HOOK_A)).queued).toBe(2);
      expect((await replay(HOOK_A)).queued).toBe(0);
      expect(await drain(HOOK_A, [PHONE_1], at(60_000))).toHaveLength(2);
    });

    it('takes only the events, the status and the target asked for', async () => {
      const ids = (await receive([textBatch(3)])).created.map((e) => e.id);
      await giveUpHead(HOOK_A, 'rejected', at(1_000));
      await giveUpHead(HOOK_A, 'expired', at(1_000));
      await giveUpHead(HOOK_A, 'rejected', at(1_000));
      await giveUpHead(HOOK_B, 'rejected', at(1_000));

      expect((await replay(HOOK_A, { eventIds: [ids[2] ?? '', 'message:not-stored'] })).queued).toBe(1);
      expect((await replay(HOOK_A, { status: 'expired' })).queued).toBe(1);
      expect((await list()).map((d) => [d.target, d.eventId, d.status])).toEqual([
        [HOOK_B, ids[0], 'rejected'],
        [HOOK_A, ids[0], 'rejected'],
      ]);
    });

    it('goes on in batches from where the last stopped, and never takes one twice, even given up again meanwhile', async () => {
      await receive([textBatch(5)], { targets: [HOOK_A] });
      for (let i = 0; i < 5; i++) await giveUpHead(HOOK_A, 'rejected', at(1_000));

      const first = await replay(HOOK_A, { limit: 2 });
      expect(first.queued).toBe(2);
      // The first one replayed is refused again at once.
      await giveUpHead(HOOK_A, 'rejected', at(70_000));
      const second = await replay(HOOK_A, { limit: 2, after: first.next ?? -1 });
      const third = await replay(HOOK_A, { limit: 2, after: second.next ?? -1 });
      expect([second.queued, third.queued, third.next]).toEqual([2, 1, null]);
      expect((await list()).map((d) => d.givenUpAt)).toEqual([at(70_000)]);
    });
  });

  describe('backfill', () => {
    it('queues exactly the events received since the time given, for a target added later, lane by lane in arrival order', async () => {
      await receive([textBatch(2, 'wamid.before')], { targets: TARGETS, receivedAt: at(1_000) });
      const since = (await receive([fixtureWire('mixed-batch')], { targets: TARGETS, receivedAt: at(2_000) })).created;
      const later = (await receive([textBatch(2, 'wamid.after')], { targets: TARGETS, receivedAt: at(3_000) })).created;

      expect((await backfill(HOOK_C, at(2_000))).queued).toBe(since.length + later.length);
      const expected = [...since, ...later].map((e): [string, string] => [laneOf(e), e.id]);
      const lanes = [PHONE_1, PHONE_2, WABA];
      expect(await drain(HOOK_C, lanes, at(60_000))).toEqual(lanes.flatMap((lane) => expected.filter(([l]) => l === lane)));
    });

    it('skips events the target has had or is owed, and queues its dead letters again', async () => {
      const ids = (await receive([textBatch(4)], { targets: [HOOK_A] })).created.map((e) => e.id);
      const sent = await nextInLane(HOOK_A, PHONE_1, T0);
      await webhooks.markForwardSent(sent?.id ?? 0, T0, forwardOutcome('sent', HOOK_A));
      await giveUpHead(HOOK_A, 'rejected', at(1_000));

      expect((await backfill(HOOK_A, T0)).queued).toBe(1);
      expect(await list()).toEqual([]);
      expect((await drain(HOOK_A, [PHONE_1], at(60_000))).map(([, id]) => id)).toEqual(ids.slice(1));
    });

    it('goes on in batches from where the last stopped, in the order events were received', async () => {
      const ids = (await receive([textBatch(5)], { targets: [HOOK_A], receivedAt: at(1_000) })).created.map((e) => e.id);
      const queued: number[] = [];
      let after: BackfillPosition | null = null;
      do {
        const batch = await webhooks.backfillForwards({ target: HOOK_C, since: T0, after, limit: 2, at: at(60_000) }, laneOfStored);
        queued.push(batch.queued);
        after = batch.next;
      } while (after);
      expect(queued).toEqual([2, 2, 1]);
      expect((await drain(HOOK_C, [PHONE_1], at(60_000))).map(([, id]) => id)).toEqual(ids);
    });

    it('queues each event once per target however many backfills run at once (one forward per event and target, by constraint)', async () => {
      await receive([textBatch(30)], { targets: [HOOK_A] });
      const results = await Promise.all([backfill(HOOK_C, T0), backfill(HOOK_C, T0), backfill(HOOK_C, T0)]);
      expect(results.reduce((n, r) => n + r.queued, 0)).toBe(30);
      expect(await drain(HOOK_C, [PHONE_1], at(60_000))).toHaveLength(30);
    });
  });

  onlyOn('postgres', backend)("reads whether a backfill's target has each event with one seek per event, not a pass over every forward", async () => {
    // 3,000 events, each owed to both targets: 6,000 forwards that a hashed EXISTS would read on every batch.
    await receive([textBatch(1000, 'wamid.plan-a'), textBatch(1000, 'wamid.plan-b'), textBatch(1000, 'wamid.plan-c')]);
    const { location } = database();
    if (location.backend !== 'postgres') throw new Error('a PostgreSQL test ran on SQLite');
    const client = new pg.Client({ connectionString: location.url });
    await client.connect();
    try {
      await client.query('ANALYZE');
      await client.query('BEGIN');
      const plan = await client.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${BACKFILL_EVENTS}`, [HOOK_A, T0, new Date(0), 0, 250]);
      await client.query('ROLLBACK');
      const text = JSON.stringify(plan.rows[0]?.['QUERY PLAN']);
      expect(text).toContain('"Index Name":"webhook_forwards_one_per_target"');
      expect(text).not.toMatch(/"Node Type":"Seq Scan"[^}]*"Relation Name":"webhook_forwards"/);
    } finally {
      await client.end();
    }
  });
});
