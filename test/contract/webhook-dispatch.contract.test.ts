import type { Stores } from '../../src/store/stores';
import type { WebhookStore } from '../../src/store/webhook-store';
import { readWebhookOverview } from '../../src/whatsapp/overview';
import { fixture, fixtureWire, toMetaWire } from '../helpers/meta-wire';
import { describeEachBackend } from './backends';
import { claimAt } from './claim-at';
import { dispatchOnce, inboxRecord, receive as receiveWith, type Dispatched } from './dispatch-helpers';
import { STATUS_MESSAGE_ID, statusPost } from './posts';
import { only, HOOK_A, HOOK_B, PHONE_1, TARGETS } from './shared';

// The inbox and dispatch: stored POSTs become deduplicated events, each owed to every target.

const T0 = new Date('2025-02-12T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const LATER = at(3_600_000);

describeEachBackend('webhook dispatch', (database) => {
  let stores: Stores;
  let webhooks: WebhookStore;

  beforeEach(async () => {
    stores = await database().open();
    webhooks = stores.webhooks;
  });

  const receive = (bodies: Buffer[], options: { targets?: string[]; receivedAt?: Date } = {}) =>
    receiveWith(webhooks, bodies, { targets: options.targets ?? TARGETS, receivedAt: options.receivedAt ?? T0 });
  const dispatch = (options: { limit?: number; now?: Date } = {}) => dispatchOnce(webhooks, { targets: TARGETS, now: T0, ...options });
  const overview = (targets: string[] = []) => readWebhookOverview(webhooks, targets, 10);

  /** The message's latest status as the store knows it: what a later dispatch is told (a `sent` never moves it). */
  async function latestStatusKnown(): Promise<string | undefined> {
    const probe: Dispatched = await receive([statusPost('sent', 1)], { receivedAt: LATER });
    return probe.known?.statuses.get(STATUS_MESSAGE_ID)?.status;
  }

  describe('the inbox', () => {
    it('hands stored POSTs to dispatch oldest first, byte for byte', async () => {
      const bodies = [fixtureWire('mixed-batch'), Buffer.from([0xff, 0x00, 0xfe, 0x7b]), fixtureWire('text')] as const;
      await webhooks.appendToInbox([inboxRecord(bodies[0], T0), inboxRecord(bodies[1], at(1_000))]);
      await webhooks.appendToInbox([inboxRecord(bodies[2], at(2_000))]);

      const { items, posts } = await dispatch();
      expect(posts).toBe(3);
      expect(items.map((p) => p.receivedAt)).toEqual([T0, at(1_000), at(2_000)]);
      items.forEach((p, n) => expect(p.body.equals(bodies[n] as Buffer)).toBe(true));
      expect(items[0]?.id).toBeLessThan(items[1]?.id ?? 0);
    });

    it('dispatches at most `limit` stored POSTs at a time, leaving the rest pending', async () => {
      await webhooks.appendToInbox([inboxRecord(fixtureWire('text'), T0), inboxRecord(fixtureWire('image'), T0), inboxRecord(fixtureWire('video'), T0)]);

      const first = await dispatch({ limit: 2 });
      expect(first.posts).toBe(2);
      expect(first.items[0]?.body.equals(fixtureWire('text'))).toBe(true);
      expect((await overview()).counts).toMatchObject({ pending: 1, dispatched: 2 });
      expect(only((await dispatch()).items).body.equals(fixtureWire('video'))).toBe(true);
    });

    it('counts every stored POST as pending until dispatched', async () => {
      await webhooks.appendToInbox([inboxRecord(fixtureWire('text'), T0), inboxRecord(fixtureWire('image'), T0)]);
      expect((await overview()).counts).toMatchObject({ stored: 2, pending: 2, dispatched: 0 });
    });

    it('takes nothing, and asks the domain nothing, when no POST is waiting', async () => {
      const result = await webhooks.dispatchInbox(10, {
        read: () => {
          throw new Error('read called with nothing stored');
        },
        lookups: () => ({ keys: [], messageIds: [] }),
        plan: () => {
          throw new Error('plan called with nothing stored');
        },
      });
      expect(result).toEqual({ posts: 0, outcomes: [], plan: null });
    });
  });

  describe('dispatchInbox', () => {
    it('marks a POST dispatched and stores its events', async () => {
      const summary = await receive([fixtureWire('mixed-batch')]);

      expect(summary).toMatchObject({ duplicates: 0, invalid: 0 });
      expect(summary.created.map((e) => e.kind)).toEqual(['message', 'message', 'status', 'message', 'field']);
      expect((await dispatch()).posts).toBe(0);
      const view = await overview();
      expect(view.counts).toEqual({
        stored: 1, dispatched: 1, invalid: 0, pending: 0, events: 5, duplicates: 0,
        byKind: { message: 3, status: 1, error: 0, field: 1 },
      });
      expect(view.lastEventAt).toBe(T0.toISOString());
    });

    it('marks a POST that is not a payload it knows invalid, with no events and nothing to forward', async () => {
      const summary = await receive([Buffer.from('{"object":"page","entry":[]}')]);

      expect(summary).toMatchObject({ created: [], duplicates: 0, invalid: 1 });
      expect((await dispatch()).posts).toBe(0);
      expect((await overview()).counts).toMatchObject({ stored: 1, dispatched: 0, invalid: 1, pending: 0, events: 0 });
      expect(await webhooks.claimForwardHeads(TARGETS, claimAt(LATER), 100)).toEqual([]);
    });

    it('counts the same event in a second POST as a duplicate, with no second forward', async () => {
      await receive([fixtureWire('text')]);
      const again = await receive([fixtureWire('text')], { receivedAt: at(60_000) });

      expect(again).toMatchObject({ created: [], duplicates: 1, invalid: 0 });
      const view = await overview(TARGETS);
      expect(view.counts).toMatchObject({ stored: 2, dispatched: 2, events: 1, duplicates: 1 });
      expect(view.forwarding.map((f) => f.backlog)).toEqual([1, 1]);
      expect(await webhooks.latestEvents(10)).toHaveLength(1);
    });

    it('counts the same event twice in one dispatch as one event and one duplicate', async () => {
      await webhooks.appendToInbox([inboxRecord(fixtureWire('text'), T0), inboxRecord(fixtureWire('text'), T0)]);
      const summary = await dispatch();

      expect(summary.created).toHaveLength(1);
      expect(summary.duplicates).toBe(1);
      expect((await overview(TARGETS)).forwarding.map((f) => f.backlog)).toEqual([1, 1]);
    });

    it('counts an event listed twice in one POST as one event and one duplicate', async () => {
      const body = fixture('text');
      const value = body.entry[0]?.changes[0]?.value;
      if (value?.messages?.[0]) value.messages.push({ ...value.messages[0] });
      const summary = await receive([Buffer.from(toMetaWire(body), 'ascii')]);

      expect(summary.created).toHaveLength(1);
      expect(summary.duplicates).toBe(1);
    });

    it('owes one forward per target for each new event', async () => {
      const event = only((await receive([fixtureWire('text')])).created);

      const heads = await webhooks.claimForwardHeads(TARGETS, claimAt(T0), 100);
      expect(heads.map((j) => [j.target, j.lane, j.eventId])).toEqual([
        [HOOK_A, PHONE_1, event.id],
        [HOOK_B, PHONE_1, event.id],
      ]);
      expect(heads[0]).toMatchObject({ attempts: 0, createdAt: T0 });
      expect((await overview(TARGETS)).forwarding.map((f) => f.backlog)).toEqual([1, 1]);
      expect(JSON.parse(heads[0]?.body ?? '')).toEqual(event);
    });

    it('owes nothing when there are no targets', async () => {
      await receive([fixtureWire('text')], { targets: [] });
      expect(await webhooks.claimForwardHeads(TARGETS, claimAt(LATER), 100)).toEqual([]);
      expect(await webhooks.nextForwardDueAt(TARGETS)).toBeNull();
    });
  });

  describe('message statuses', () => {
    it('stores a delivered that arrives after read as superseded, and keeps read as the latest', async () => {
      const read = only((await receive([statusPost('read', 1739321100)])).created);
      const delivered = only((await receive([statusPost('delivered', 1739321050)], { receivedAt: at(1_000) })).created);

      expect(read).toMatchObject({ type: 'read', superseded: false });
      expect(delivered).toMatchObject({ type: 'delivered', superseded: true });
      expect((await webhooks.latestEvents(2)).map((e) => [e.type, e.superseded])).toEqual([
        ['delivered', true],
        ['read', false],
      ]);
      expect(await latestStatusKnown()).toBe('read');
    });

    it('judges a later status against read, not against the delivered that came late', async () => {
      await receive([statusPost('read', 1739321100)]);
      await receive([statusPost('delivered', 1739321050)]);
      // Failed ranks with delivered: had the late delivered replaced read, this would advance.
      const failed = only((await receive([statusPost('failed', 1739321200)])).created);
      expect(failed.superseded).toBe(true);

      const played = only((await receive([statusPost('played', 1739321300)])).created);
      expect(played.superseded).toBe(false);
      expect(await latestStatusKnown()).toBe('played');
    });

    it('moves statuses forward within one POST in the order they are listed', async () => {
      const body = JSON.parse(statusPost('read', 1739321100).toString('ascii')) as ReturnType<typeof fixture>;
      const statuses = body.entry[0]?.changes[0]?.value.statuses;
      const first = statuses?.[0];
      if (first) statuses?.push({ ...first, status: 'sent', timestamp: '1739321000' });
      const created = (await receive([Buffer.from(toMetaWire(body), 'ascii')])).created;

      expect(created.map((e) => [e.type, e.superseded])).toEqual([
        ['read', false],
        ['sent', true],
      ]);
    });
  });

  describe('the overview of events', () => {
    it('lists failures newest first, with their errors explained, up to the limit', async () => {
      await receive([fixtureWire('status-failed')], { receivedAt: T0 });
      await receive([fixtureWire('text')], { receivedAt: at(1_000) });
      await receive([fixtureWire('value-errors')], { receivedAt: at(2_000) });

      const { failures } = await overview();
      expect(failures.map((f) => [f.kind, f.type, f.phoneNumberId, f.errors.map((e) => e.code)])).toEqual([
        ['error', 'error', PHONE_1, [130429]],
        ['status', 'failed', PHONE_1, [131047]],
      ]);
      expect(failures[1]?.errors[0]).toMatchObject({ known: true, action: expect.stringMatching(/template/) as unknown });
      expect(failures[1]?.receivedAt).toBe(T0.toISOString());
      expect((await readWebhookOverview(webhooks, [], 1)).failures.map((f) => f.type)).toEqual(['error']);
    });

    it('has no verification time until one is recorded', async () => {
      expect((await overview()).lastVerifiedAt).toBeNull();
      await webhooks.recordVerification(at(42_000), { rehearsal: false });
      expect((await overview()).lastVerifiedAt).toBe(at(42_000).toISOString());
    });

    it('lists the latest events newest first, up to the limit', async () => {
      const ids = (await receive([fixtureWire('mixed-batch')])).created.map((e) => e.id);
      expect((await webhooks.latestEvents(3)).map((e) => e.id)).toEqual([ids[4], ids[3], ids[2]]);
    });
  });
});
