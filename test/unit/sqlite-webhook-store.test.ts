import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStores } from '../../src/store/open-sqlite';
import { DATABASE_FILE } from '../../src/store/sqlite-database';
import type { Store } from '../../src/store/store';
import type { DispatchOutcome, DispatchSummary, ForwardJob, InboxRecord, WebhookStore } from '../../src/store/webhook-store';
import type { WhatsAppEvent } from '../../src/whatsapp/event';
import { normalizePayload } from '../../src/whatsapp/normalize';
import { fixture, fixtureWire, toMetaWire, type WaStatus } from '../helpers/meta-wire';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const T0 = new Date('2025-02-12T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const LATER = at(3_600_000);

const HOOK_A = 'https://hooks.example.com/a';
const HOOK_B = 'https://hooks.example.com/b';
const TARGETS = [HOOK_A, HOOK_B];

const PHONE_1 = '106540352242922';
const PHONE_2 = '109238475610293';
const WABA = '102290129340398';

const MESSAGE_ID = 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI4RkUzOUMwMUI5QjVBOERBNEYA';

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

function record(body: Buffer, receivedAt: Date = T0): InboxRecord {
  return { receivedAt, body, contentType: 'application/json', signature: 'sha256=' + '0'.repeat(64), signedWith: 'current' };
}

/** The wire bytes of a status of MESSAGE_ID, at `seconds` (Unix time). */
function statusPost(status: string, seconds: number): Buffer {
  const body = fixture('status-read');
  const item = body.entry[0]?.changes[0]?.value.statuses?.[0] as WaStatus;
  Object.assign(item, { status, timestamp: String(seconds) });
  return Buffer.from(toMetaWire(body), 'ascii');
}

/** A POST of `count` distinct text messages on PHONE_1. */
function textBatch(count: number, prefix = 'wamid.bulk'): Buffer {
  const body = fixture('text');
  const value = body.entry[0]?.changes[0]?.value;
  const template = value?.messages?.[0];
  if (!value || !template) throw new Error('the text fixture has no message');
  value.messages = Array.from({ length: count }, (_, n) => ({ ...template, id: `${prefix}-${n}` }));
  return Buffer.from(toMetaWire(body), 'ascii');
}

let dir: string;
let store: Store;
let webhooks: WebhookStore;
let open = false;

function openStores(): void {
  ({ store, webhooks } = openSqliteStores(dir));
  open = true;
}

async function reopen(): Promise<void> {
  await store.close();
  open = false;
  openStores();
}

beforeEach(() => {
  dir = makeTempDir();
  openStores();
});
afterEach(async () => {
  if (open) await store.close();
  removeTempDir(dir);
});

/** What the dispatcher does: reads the pending POSTs, normalises each, records the outcome. */
async function dispatchPending(targets: string[] = TARGETS, now: Date = T0): Promise<DispatchSummary> {
  const items = await webhooks.pendingInbox(1_000);
  const outcomes = items.map((item): DispatchOutcome => {
    const normalized = normalizePayload(item.body, item.receivedAt);
    return normalized.ok ? { inboxId: item.id, events: normalized.events } : { inboxId: item.id, problem: normalized.problem };
  });
  return webhooks.recordDispatch(outcomes, targets, now);
}

/** Stores the POSTs and dispatches them. */
async function receive(bodies: Buffer[], options: { targets?: string[]; receivedAt?: Date } = {}): Promise<DispatchSummary> {
  await webhooks.appendToInbox(bodies.map((body) => record(body, options.receivedAt)));
  return dispatchPending(options.targets, options.receivedAt);
}

const describeJob = (job: ForwardJob) => [job.target, job.lane, job.eventId];

describe('the inbox', () => {
  it('keeps stored POSTs pending, oldest first, byte for byte', async () => {
    const bodies = [fixtureWire('mixed-batch'), Buffer.from([0xff, 0x00, 0xfe, 0x7b]), fixtureWire('text')];
    await webhooks.appendToInbox([record(bodies[0] as Buffer, T0), record(bodies[1] as Buffer, at(1_000))]);
    await webhooks.appendToInbox([record(bodies[2] as Buffer, at(2_000))]);

    const pending = await webhooks.pendingInbox(10);
    expect(pending.map((p) => p.receivedAt)).toEqual([T0, at(1_000), at(2_000)]);
    pending.forEach((p, n) => expect(p.body.equals(bodies[n] as Buffer)).toBe(true));
    expect(pending[0]?.id).toBeLessThan(pending[1]?.id ?? 0);
  });

  it('returns at most `limit` pending POSTs', async () => {
    await webhooks.appendToInbox([record(fixtureWire('text')), record(fixtureWire('image')), record(fixtureWire('video'))]);
    const pending = await webhooks.pendingInbox(2);
    expect(pending).toHaveLength(2);
    expect(pending[0]?.body.equals(fixtureWire('text'))).toBe(true);
  });

  it('counts every stored POST as pending until dispatched', async () => {
    await webhooks.appendToInbox([record(fixtureWire('text')), record(fixtureWire('image'))]);
    expect((await webhooks.overview([], 10)).counts).toMatchObject({ stored: 2, pending: 2, dispatched: 0 });
  });
});

describe('recordDispatch', () => {
  it('marks a POST dispatched and stores its events', async () => {
    const summary = await receive([fixtureWire('mixed-batch')]);

    expect(summary).toMatchObject({ duplicates: 0, invalid: 0 });
    expect(summary.created.map((e) => e.kind)).toEqual(['message', 'message', 'status', 'message', 'field']);
    expect(await webhooks.pendingInbox(10)).toEqual([]);
    const overview = await webhooks.overview([], 10);
    expect(overview.counts).toEqual({
      stored: 1, dispatched: 1, invalid: 0, pending: 0, events: 5, duplicates: 0,
      byKind: { message: 3, status: 1, error: 0, field: 1 },
    });
    expect(overview.lastEventAt).toBe(T0.toISOString());
  });

  it('marks a POST that is not a payload it knows invalid, with no events and nothing to forward', async () => {
    const summary = await receive([Buffer.from('{"object":"page","entry":[]}')]);

    expect(summary).toEqual({ created: [], duplicates: 0, invalid: 1 });
    expect(await webhooks.pendingInbox(10)).toEqual([]);
    expect((await webhooks.overview([], 10)).counts).toMatchObject({ stored: 1, dispatched: 0, invalid: 1, pending: 0, events: 0 });
    expect(await webhooks.forwardHeads(TARGETS, LATER)).toEqual([]);
  });

  it('counts the same event in a second POST as a duplicate, with no second forward', async () => {
    await receive([fixtureWire('text')]);
    const again = await receive([fixtureWire('text')], { receivedAt: at(60_000) });

    expect(again).toEqual({ created: [], duplicates: 1, invalid: 0 });
    const overview = await webhooks.overview(TARGETS, 10);
    expect(overview.counts).toMatchObject({ stored: 2, dispatched: 2, events: 1, duplicates: 1 });
    expect(overview.forwarding.map((f) => f.backlog)).toEqual([1, 1]);
    expect(await webhooks.latestEvents(10)).toHaveLength(1);
  });

  it('counts the same event twice in one call as one event and one duplicate', async () => {
    await webhooks.appendToInbox([record(fixtureWire('text')), record(fixtureWire('text'))]);
    const summary = await dispatchPending();

    expect(summary.created).toHaveLength(1);
    expect(summary.duplicates).toBe(1);
    expect((await webhooks.overview(TARGETS, 10)).forwarding.map((f) => f.backlog)).toEqual([1, 1]);
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
    const summary = await receive([fixtureWire('text')]);
    const event = only(summary.created);

    const heads = await webhooks.forwardHeads(TARGETS, T0);
    expect(heads.map(describeJob)).toEqual([
      [HOOK_A, PHONE_1, event.id],
      [HOOK_B, PHONE_1, event.id],
    ]);
    expect(heads[0]).toMatchObject({ attempts: 0, createdAt: T0 });
    expect((await webhooks.overview(TARGETS, 10)).forwarding.map((f) => f.backlog)).toEqual([1, 1]);
    expect(JSON.parse(heads[0]?.body ?? '')).toEqual(event);
  });

  it('owes nothing when there are no targets', async () => {
    await receive([fixtureWire('text')], { targets: [] });
    expect(await webhooks.forwardHeads(TARGETS, LATER)).toEqual([]);
    expect(await webhooks.nextForwardDueAt(TARGETS)).toBeNull();
  });
});

describe('message statuses', () => {
  /** Read from the file itself: no view shows it, and it decides what supersedes what. */
  function latestStatusInDatabase(): string | undefined {
    const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
    try {
      const row = db.prepare(`SELECT status FROM message_statuses WHERE message_id = ?`).get(MESSAGE_ID) as
        | { status: string }
        | undefined;
      return row?.status;
    } finally {
      db.close();
    }
  }

  it('stores a delivered that arrives after read as superseded, and keeps read as the latest', async () => {
    const read = only((await receive([statusPost('read', 1739321100)])).created);
    const delivered = only((await receive([statusPost('delivered', 1739321050)], { receivedAt: at(1_000) })).created);

    expect(read).toMatchObject({ type: 'read', superseded: false });
    expect(delivered).toMatchObject({ type: 'delivered', superseded: true });
    expect((await webhooks.latestEvents(2)).map((e) => [e.type, e.superseded])).toEqual([
      ['delivered', true],
      ['read', false],
    ]);
    expect(latestStatusInDatabase()).toBe('read');
  });

  it('judges a later status against read, not against the delivered that came late', async () => {
    await receive([statusPost('read', 1739321100)]);
    await receive([statusPost('delivered', 1739321050)]);
    // Failed ranks with delivered: had the late delivered replaced read, this would advance.
    const failed = only((await receive([statusPost('failed', 1739321200)])).created);
    expect(failed.superseded).toBe(true);

    const played = only((await receive([statusPost('played', 1739321300)])).created);
    expect(played.superseded).toBe(false);
    expect(latestStatusInDatabase()).toBe('played');
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

describe('forward queues', () => {
  /** The mixed batch: three events on PHONE_1, one on PHONE_2, one field event on the WABA lane. */
  async function receiveMixedBatch(): Promise<WhatsAppEvent[]> {
    return (await receive([fixtureWire('mixed-batch')])).created;
  }

  it('gives one head per (target, lane), in id order', async () => {
    const events = await receiveMixedBatch();
    const ids = events.map((e) => e.id);

    expect((await webhooks.forwardHeads(TARGETS, T0)).map(describeJob)).toEqual([
      [HOOK_A, PHONE_1, ids[0]],
      [HOOK_B, PHONE_1, ids[0]],
      [HOOK_A, PHONE_2, ids[3]],
      [HOOK_B, PHONE_2, ids[3]],
      [HOOK_A, WABA, ids[4]],
      [HOOK_B, WABA, ids[4]],
    ]);
  });

  it('gives heads only for the targets asked for', async () => {
    await receiveMixedBatch();
    const heads = await webhooks.forwardHeads([HOOK_B], T0);
    expect(heads.map((j) => j.target)).toEqual([HOOK_B, HOOK_B, HOOK_B]);
  });

  it('gives no head before its first attempt is due', async () => {
    await receive([fixtureWire('text')], { receivedAt: at(10_000) });
    expect(await webhooks.forwardHeads(TARGETS, at(9_999))).toEqual([]);
    expect(await webhooks.nextInLane(HOOK_A, PHONE_1, at(9_999))).toBeNull();
  });

  it('hands out a lane\'s forwards one after another, in arrival order', async () => {
    const ids = (await receiveMixedBatch()).map((e) => e.id);
    const seen: string[] = [];
    for (let job = await webhooks.nextInLane(HOOK_A, PHONE_1, T0); job; job = await webhooks.nextInLane(HOOK_A, PHONE_1, T0)) {
      seen.push(job.eventId);
      await webhooks.markForwardSent(job.id, T0);
    }
    expect(seen).toEqual(ids.slice(0, 3));
    // The other target's lane has not moved.
    expect((await webhooks.nextInLane(HOOK_B, PHONE_1, T0))?.eventId).toBe(ids[0]);
  });

  it('blocks a lane behind a head waiting for its retry, but not other lanes or targets', async () => {
    const ids = (await receiveMixedBatch()).map((e) => e.id);
    const head = await webhooks.nextInLane(HOOK_A, PHONE_1, T0);
    await webhooks.markForwardRetry(head?.id ?? 0, 'the target answered HTTP 503', at(60_000));

    expect(await webhooks.nextInLane(HOOK_A, PHONE_1, at(1_000))).toBeNull();
    expect((await webhooks.forwardHeads(TARGETS, at(1_000))).map(describeJob)).toEqual([
      [HOOK_B, PHONE_1, ids[0]],
      [HOOK_A, PHONE_2, ids[3]],
      [HOOK_B, PHONE_2, ids[3]],
      [HOOK_A, WABA, ids[4]],
      [HOOK_B, WABA, ids[4]],
    ]);

    const retried = await webhooks.nextInLane(HOOK_A, PHONE_1, at(60_000));
    expect(retried).toMatchObject({ id: head?.id, eventId: ids[0], attempts: 1 });
  });

  it('moves the lane on past a forward the target rejected', async () => {
    const ids = (await receiveMixedBatch()).map((e) => e.id);
    const head = await webhooks.nextInLane(HOOK_A, PHONE_1, T0);
    await webhooks.markForwardRejected(head?.id ?? 0, 'the target answered HTTP 422');
    expect((await webhooks.nextInLane(HOOK_A, PHONE_1, T0))?.eventId).toBe(ids[1]);
  });

  it('says when the next head is due, and null when nothing is owed', async () => {
    await receive([fixtureWire('text')], { targets: [HOOK_A] });
    expect(await webhooks.nextForwardDueAt([HOOK_A])).toEqual(T0);

    const head = await webhooks.nextInLane(HOOK_A, PHONE_1, T0);
    await webhooks.markForwardRetry(head?.id ?? 0, 'timed out', at(30_000));
    expect(await webhooks.nextForwardDueAt([HOOK_A])).toEqual(at(30_000));
    expect(await webhooks.nextForwardDueAt([HOOK_B])).toBeNull();

    await webhooks.markForwardSent(head?.id ?? 0, at(30_000));
    expect(await webhooks.nextForwardDueAt([HOOK_A])).toBeNull();
  });
});

describe('overview', () => {
  it('counts sent and rejected forwards per target, with the backlog and its oldest item', async () => {
    await receive([fixtureWire('text')], { receivedAt: T0 });
    await receive([fixtureWire('image')], { receivedAt: at(5_000) });
    const [textA, textB] = await webhooks.forwardHeads(TARGETS, T0);
    await webhooks.markForwardSent(textA?.id ?? 0, at(1_000));
    await webhooks.markForwardRejected(textB?.id ?? 0, 'the target answered HTTP 410');

    const { forwarding } = await webhooks.overview(TARGETS, 10);
    expect(forwarding).toEqual([
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
    const { forwarding } = await webhooks.overview([HOOK_A], 10);
    expect(forwarding.map((f) => [f.target, f.configured, f.backlog])).toEqual([
      [HOOK_A, true, 1],
      [HOOK_B, false, 1],
    ]);
    expect(await webhooks.pendingTargets()).toEqual(expect.arrayContaining([HOOK_A, HOOK_B]));
  });

  it('counts a forward marked sent twice once', async () => {
    await receive([fixtureWire('text')], { targets: [HOOK_A] });
    const head = await webhooks.nextInLane(HOOK_A, PHONE_1, T0);
    await webhooks.markForwardSent(head?.id ?? 0, T0);
    await webhooks.markForwardSent(head?.id ?? 0, at(1));
    expect(only((await webhooks.overview([HOOK_A], 10)).forwarding).sent).toBe(1);
  });

  it('shows the last error of a forward waiting for a retry, and forgets it once sent', async () => {
    await receive([fixtureWire('text')], { targets: [HOOK_A] });
    const head = await webhooks.nextInLane(HOOK_A, PHONE_1, T0);
    await webhooks.markForwardRetry(head?.id ?? 0, 'could not reach the target: ECONNREFUSED', at(1_000));
    expect(only((await webhooks.overview([HOOK_A], 10)).forwarding).lastError).toBe('could not reach the target: ECONNREFUSED');

    await webhooks.markForwardSent(head?.id ?? 0, at(1_000));
    expect(only((await webhooks.overview([HOOK_A], 10)).forwarding)).toMatchObject({ lastError: null, backlog: 0, oldestPendingAt: null, sent: 1 });
  });

  it('shows a target without the credentials in its URL', async () => {
    const target = 'https://user:s3cret@hooks.example.com/wa';
    await receive([fixtureWire('text')], { targets: [target] });
    const view = only((await webhooks.overview([target], 10)).forwarding);
    expect(view.target).toBe('https://hooks.example.com/wa');
    expect(view.backlog).toBe(1);
  });

  it('lists failures newest first, with their errors explained, up to the limit', async () => {
    await receive([fixtureWire('status-failed')], { receivedAt: T0 });
    await receive([fixtureWire('text')], { receivedAt: at(1_000) });
    await receive([fixtureWire('value-errors')], { receivedAt: at(2_000) });

    const { failures } = await webhooks.overview([], 10);
    expect(failures.map((f) => [f.kind, f.type, f.phoneNumberId, f.errors.map((e) => e.code)])).toEqual([
      ['error', 'error', PHONE_1, [130429]],
      ['status', 'failed', PHONE_1, [131047]],
    ]);
    expect(failures[1]?.errors[0]).toMatchObject({ known: true, action: expect.stringMatching(/template/) as unknown });
    expect(failures[1]?.receivedAt).toBe(T0.toISOString());
    expect((await webhooks.overview([], 1)).failures.map((f) => f.type)).toEqual(['error']);
  });

  it('has no verification time until one is recorded', async () => {
    expect((await webhooks.overview([], 10)).lastVerifiedAt).toBeNull();
    await webhooks.recordVerification(at(42_000));
    expect((await webhooks.overview([], 10)).lastVerifiedAt).toBe(at(42_000).toISOString());
  });
});

describe('latestEvents', () => {
  it('lists events newest first, up to the limit', async () => {
    const ids = (await receive([fixtureWire('mixed-batch')])).created.map((e) => e.id);
    expect((await webhooks.latestEvents(3)).map((e) => e.id)).toEqual([ids[4], ids[3], ids[2]]);
  });
});

describe('prune', () => {
  it('deletes dispatched POSTs and events received before the cut-off, and keeps later ones', async () => {
    await receive([fixtureWire('text')], { receivedAt: T0 });
    await receive([Buffer.from('not json')], { receivedAt: at(1_000) });
    await receive([fixtureWire('image')], { receivedAt: at(10_000) });

    expect(await webhooks.prune(at(5_000))).toEqual({ inbox: 2, events: 1, expiredForwards: 2, done: true });
    expect((await webhooks.latestEvents(10)).map((e) => e.type)).toEqual(['image']);
    // Running totals outlive the rows.
    expect((await webhooks.overview([], 10)).counts).toMatchObject({ stored: 3, events: 2, invalid: 1 });
  });

  it('forgets the dedupe key of a pruned event: the same event later is new again', async () => {
    await receive([fixtureWire('text')], { receivedAt: T0 });
    await webhooks.prune(at(1_000));

    const again = await receive([fixtureWire('text')], { receivedAt: at(2_000) });
    expect(again.created).toHaveLength(1);
    expect(again.duplicates).toBe(0);
  });

  it('never deletes a POST that has not been dispatched', async () => {
    await webhooks.appendToInbox([record(fixtureWire('text'), T0)]);

    expect(await webhooks.prune(LATER)).toMatchObject({ inbox: 0 });
    expect(only(await webhooks.pendingInbox(10)).body.equals(fixtureWire('text'))).toBe(true);
  });

  it('counts the forwards still owed for pruned events as expired, per target, and drops them from the queues', async () => {
    await receive([fixtureWire('text')], { receivedAt: T0 });
    const [headA] = await webhooks.forwardHeads([HOOK_A], T0);
    await webhooks.markForwardSent(headA?.id ?? 0, T0);

    expect(await webhooks.prune(at(1_000))).toMatchObject({ events: 1, expiredForwards: 1 });
    const [viewA, viewB] = (await webhooks.overview(TARGETS, 10)).forwarding;
    expect(viewA).toMatchObject({ sent: 1, expired: 0, backlog: 0 });
    expect(viewB).toMatchObject({ expired: 1, backlog: 0 });
    expect(await webhooks.forwardHeads(TARGETS, LATER)).toEqual([]);
    expect(await webhooks.nextForwardDueAt(TARGETS)).toBeNull();
  });

  it('lets a lane move on once the events at its head are pruned', async () => {
    await receive([fixtureWire('text')], { receivedAt: T0 });
    await receive([fixtureWire('image')], { receivedAt: at(10_000) });
    await webhooks.prune(at(5_000));

    const image = only(await webhooks.latestEvents(10));
    expect((await webhooks.nextInLane(HOOK_A, PHONE_1, LATER))?.eventId).toBe(image.id);
  });

  it('works in chunks of 2000 and says when more remain', async () => {
    // Meta's largest batch is 1000 updates: 2500 events take three POSTs.
    const posts = [textBatch(1_000, 'wamid.a'), textBatch(1_000, 'wamid.b'), textBatch(500, 'wamid.c')];
    const summary = await receive(posts, { receivedAt: T0, targets: [] });
    expect(summary.created).toHaveLength(2_500);

    expect(await webhooks.prune(at(1_000))).toEqual({ inbox: 3, events: 2_000, expiredForwards: 0, done: false });
    expect(await webhooks.prune(at(1_000))).toEqual({ inbox: 0, events: 500, expiredForwards: 0, done: true });
    expect(await webhooks.latestEvents(10)).toEqual([]);
  });
});

describe('durability', () => {
  it('keeps the inbox, events, queues and counts when the file is closed and opened again', async () => {
    await webhooks.appendToInbox([record(fixtureWire('mixed-batch'), T0)]);
    await dispatchPending(TARGETS, T0);
    await webhooks.appendToInbox([record(fixtureWire('status-failed'), at(1_000))]);
    const [head] = await webhooks.forwardHeads([HOOK_A], T0);
    await webhooks.markForwardRetry(head?.id ?? 0, 'the target answered HTTP 503', at(60_000));
    await webhooks.recordVerification(at(2_000));
    const before = {
      pending: await webhooks.pendingInbox(10),
      events: await webhooks.latestEvents(10),
      heads: await webhooks.forwardHeads(TARGETS, LATER),
      overview: await webhooks.overview(TARGETS, 10),
    };

    await reopen();

    expect(await webhooks.pendingInbox(10)).toEqual(before.pending);
    expect(only(before.pending).body.equals(fixtureWire('status-failed'))).toBe(true);
    expect(await webhooks.latestEvents(10)).toEqual(before.events);
    expect(before.events).toHaveLength(5);
    expect(await webhooks.forwardHeads(TARGETS, LATER)).toEqual(before.heads);
    expect(before.heads.find((j) => j.id === head?.id)?.attempts).toBe(1);
    expect(await webhooks.overview(TARGETS, 10)).toEqual(before.overview);
    expect(before.overview.lastVerifiedAt).toBe(at(2_000).toISOString());
  });
});
