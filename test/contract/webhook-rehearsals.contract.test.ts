import type { Stores } from '../../src/store/stores';
import type { WebhookStore } from '../../src/store/webhook-store';
import { readWebhookOverview } from '../../src/whatsapp/overview';
import { fixtureWire } from '../helpers/meta-wire';
import { describeEachBackend } from './backends';
import { claimAt } from './claim-at';
import { dispatchOnce, inboxRecord } from './dispatch-helpers';
import { statusPost } from './posts';
import { only, HOOK_A, TARGETS } from './shared';

// Rehearsals (wa-onboard doctor, simulate webhook): stored, dispatched and forwarded like Meta's
// POSTs, and kept out of everything that reports Meta's traffic.

const T0 = new Date('2025-02-12T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describeEachBackend('webhook rehearsals', (database) => {
  let stores: Stores;
  let webhooks: WebhookStore;

  beforeEach(async () => {
    stores = await database().open();
    webhooks = stores.webhooks;
  });

  /** Stores the POSTs as received at `receivedAt`, each a rehearsal or Meta's, and dispatches them. */
  async function receive(posts: Array<{ body: Buffer; rehearsal: boolean }>, receivedAt = T0) {
    await webhooks.appendToInbox(posts.map((p) => inboxRecord(p.body, receivedAt, { rehearsal: p.rehearsal })));
    return dispatchOnce(webhooks, { targets: TARGETS, now: receivedAt });
  }
  const overview = (targets: string[] = []) => readWebhookOverview(webhooks, targets, 10);

  it("keeps a rehearsal POST out of Meta's counts while it waits for dispatch", async () => {
    await webhooks.appendToInbox([inboxRecord(fixtureWire('text'), T0, { rehearsal: true }), inboxRecord(fixtureWire('image'), T0)]);

    expect((await overview()).counts).toMatchObject({ stored: 1, pending: 1 });
  });

  it("counts a dispatched rehearsal's events apart from Meta's, with their own last event time", async () => {
    await receive([{ body: fixtureWire('mixed-batch'), rehearsal: true }]);

    const view = await overview();
    expect(view.counts).toEqual({
      stored: 0, dispatched: 0, invalid: 0, pending: 0, events: 0, duplicates: 0,
      byKind: { message: 0, status: 0, error: 0, field: 0 },
    });
    expect(view.lastEventAt).toBeNull();
    expect(view.rehearsals).toMatchObject({ posts: 1, events: 5, duplicates: 0, lastEventAt: T0.toISOString() });
  });

  it("lists a rehearsal's failed status among the rehearsals, never among the failures", async () => {
    await receive([{ body: fixtureWire('status-failed'), rehearsal: true }]);

    const view = await overview();
    expect(view.failures).toEqual([]);
    const listed = only(view.rehearsals.latest);
    expect(listed).toMatchObject({ kind: 'status', type: 'failed', eventId: expect.stringMatching(/^rehearsal:status:/) as unknown });
    expect(listed.errors.map((e) => e.code)).toEqual([131047]);
  });

  it('counts a real event after a rehearsal of the same event as new, and owes it to every target', async () => {
    await receive([{ body: fixtureWire('text'), rehearsal: true }]);
    const real = await receive([{ body: fixtureWire('text'), rehearsal: false }], at(1_000));

    expect(only(real.created).rehearsal).toBeUndefined();
    expect((await overview()).counts).toMatchObject({ stored: 1, events: 1, duplicates: 0, byKind: { message: 1 } });
    expect((await overview()).lastEventAt).toBe(at(1_000).toISOString());
  });

  it("never moves a real message's status: a real delivered after a rehearsed read is not superseded", async () => {
    await receive([{ body: statusPost('read', 1739321100), rehearsal: true }]);
    const delivered = only((await receive([{ body: statusPost('delivered', 1739321050), rehearsal: false }], at(1_000))).created);

    expect(delivered).toMatchObject({ type: 'delivered', superseded: false });
  });

  it('owes a rehearsal event to every target, marked in the body they receive', async () => {
    const event = only((await receive([{ body: fixtureWire('text'), rehearsal: true }])).created);

    const head = only(await webhooks.claimForwardHeads([HOOK_A], claimAt(T0), 10));
    expect(JSON.parse(head.body)).toEqual(event);
    expect(event).toMatchObject({ id: expect.stringMatching(/^rehearsal:message:/) as unknown, rehearsal: true });
  });

  it("records a rehearsal of the subscription check apart from Meta's verification", async () => {
    await webhooks.recordVerification(at(5_000), { rehearsal: true });

    const view = await overview();
    expect(view.lastVerifiedAt).toBeNull();
    expect(view.rehearsals.lastVerifiedAt).toBe(at(5_000).toISOString());
  });
});
