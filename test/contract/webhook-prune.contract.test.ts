import type { Stores } from '../../src/store/stores';
import type { WebhookStore } from '../../src/store/webhook-store';
import { readWebhookOverview } from '../../src/whatsapp/overview';
import { forwardOutcome } from '../../src/whatsapp/webhook-counters';
import { fixtureWire } from '../helpers/meta-wire';
import { describeEachBackend } from './backends';
import { claimAt, LEASE_MS } from './claim-at';
import { dispatchOnce, inboxRecord, receive as receiveWith } from './dispatch-helpers';
import { textBatch } from './posts';
import { only, HOOK_A, PHONE_1, TARGETS } from './shared';

// Retention (what pruning deletes and what it keeps), and what outlives a restart.

const T0 = new Date('2025-02-12T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const LATER = at(3_600_000);

const expiredCounter = (target: string) => forwardOutcome('expired', target);

describeEachBackend('webhook retention', (database) => {
  let stores: Stores;
  let webhooks: WebhookStore;

  beforeEach(async () => {
    stores = await database().open();
    webhooks = stores.webhooks;
  });

  const receive = (bodies: Buffer[], options: { targets?: string[]; receivedAt?: Date } = {}) =>
    receiveWith(webhooks, bodies, { targets: options.targets ?? TARGETS, receivedAt: options.receivedAt ?? T0 });
  const overview = (targets: string[] = []) => readWebhookOverview(webhooks, targets, 10);
  const prune = (before: Date) => webhooks.prune(before, expiredCounter);

  describe('prune', () => {
    it('deletes dispatched POSTs and events received before the cut-off, and keeps later ones', async () => {
      await receive([fixtureWire('text')], { receivedAt: T0 });
      await receive([Buffer.from('not json')], { receivedAt: at(1_000) });
      await receive([fixtureWire('image')], { receivedAt: at(10_000) });

      expect(await prune(at(5_000))).toEqual({ inbox: 2, events: 1, expiredForwards: 2, done: true });
      expect((await webhooks.latestEvents(10)).map((e) => e.type)).toEqual(['image']);
      // Running totals outlive the rows.
      expect((await overview()).counts).toMatchObject({ stored: 3, events: 2, invalid: 1 });
    });

    it('forgets the dedupe key of a pruned event: the same event later is new again', async () => {
      await receive([fixtureWire('text')], { receivedAt: T0 });
      await prune(at(1_000));

      const again = await receive([fixtureWire('text')], { receivedAt: at(2_000) });
      expect(again.created).toHaveLength(1);
      expect(again.duplicates).toBe(0);
    });

    it('never deletes a POST that has not been dispatched', async () => {
      await webhooks.appendToInbox([inboxRecord(fixtureWire('text'), T0)]);

      expect(await prune(LATER)).toMatchObject({ inbox: 0 });
      expect((await overview()).counts.pending).toBe(1);
      const { items } = await dispatchOnce(webhooks, { targets: TARGETS, now: LATER });
      expect(only(items).body.equals(fixtureWire('text'))).toBe(true);
    });

    it('counts the forwards still owed for pruned events as expired, per target, and drops them from the queues', async () => {
      await receive([fixtureWire('text')], { receivedAt: T0 });
      const [headA] = await webhooks.claimForwardHeads([HOOK_A], claimAt(T0), 100);
      await webhooks.markForwardSent(headA?.id ?? 0, T0, forwardOutcome('sent', HOOK_A));

      expect(await prune(at(1_000))).toMatchObject({ events: 1, expiredForwards: 1 });
      const [viewA, viewB] = (await overview(TARGETS)).forwarding;
      expect(viewA).toMatchObject({ sent: 1, expired: 0, backlog: 0 });
      expect(viewB).toMatchObject({ expired: 1, backlog: 0 });
      expect(await webhooks.claimForwardHeads(TARGETS, claimAt(LATER), 100)).toEqual([]);
      expect(await webhooks.nextForwardDueAt(TARGETS)).toBeNull();
    });

    it('lets a lane move on once the events at its head are pruned', async () => {
      await receive([fixtureWire('text')], { receivedAt: T0 });
      await receive([fixtureWire('image')], { receivedAt: at(10_000) });
      await prune(at(5_000));

      const image = only(await webhooks.latestEvents(10));
      expect((await webhooks.claimNextInLane(HOOK_A, PHONE_1, claimAt(LATER)))?.eventId).toBe(image.id);
    });

    it('works in chunks of 2000 and says when more remain', async () => {
      // Meta's largest batch is 1000 updates: 2500 events take three POSTs.
      const posts = [textBatch(1_000, 'wamid.a'), textBatch(1_000, 'wamid.b'), textBatch(500, 'wamid.c')];
      const summary = await receive(posts, { receivedAt: T0, targets: [] });
      expect(summary.created).toHaveLength(2_500);

      expect(await prune(at(1_000))).toEqual({ inbox: 3, events: 2_000, expiredForwards: 0, done: false });
      expect(await prune(at(1_000))).toEqual({ inbox: 0, events: 500, expiredForwards: 0, done: true });
      expect(await webhooks.latestEvents(10)).toEqual([]);
    });
  });

  describe('a restart', () => {
    it('keeps the inbox, events, queues and counts when the stores are closed and opened again', async () => {
      await webhooks.appendToInbox([inboxRecord(fixtureWire('mixed-batch'), T0)]);
      await dispatchOnce(webhooks, { targets: TARGETS, now: T0 });
      await webhooks.appendToInbox([inboxRecord(fixtureWire('status-failed'), at(1_000))]);
      const [head] = await webhooks.claimForwardHeads([HOOK_A], claimAt(T0), 1);
      await webhooks.markForwardRetry(head?.id ?? 0, 'the target answered HTTP 503', at(60_000));
      await webhooks.recordVerification(at(2_000), { rehearsal: false });
      const before = {
        events: await webhooks.latestEvents(10),
        // Claimed for one lease; after the restart they are claimed again once it has passed.
        heads: await webhooks.claimForwardHeads(TARGETS, claimAt(LATER, 'before-restart'), 100),
        overview: await overview(TARGETS),
      };

      await stores.close();
      stores = await database().open();
      webhooks = stores.webhooks;

      expect(await webhooks.latestEvents(10)).toEqual(before.events);
      expect(before.events).toHaveLength(5);
      expect(await webhooks.claimForwardHeads(TARGETS, claimAt(new Date(LATER.getTime() + LEASE_MS), 'after-restart'), 100)).toEqual(before.heads);
      expect(before.heads).toHaveLength(6);
      expect(before.heads.find((j) => j.id === head?.id)?.attempts).toBe(1);
      expect(await overview(TARGETS)).toEqual(before.overview);
      expect(before.overview.lastVerifiedAt).toBe(at(2_000).toISOString());
      expect(before.overview.counts.pending).toBe(1);
      const { items } = await dispatchOnce(webhooks, { targets: TARGETS, now: LATER });
      expect(only(items).body.equals(fixtureWire('status-failed'))).toBe(true);
    });
  });
});
