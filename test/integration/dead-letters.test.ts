import { startEventReceiver, type EventReceiver } from '../../src/embedded/event-receiver';
import type { WhatsAppEvent } from '../../src/whatsapp/event';
import type { DeadLetterPage, DeadLetterView } from '../../src/whatsapp/dead-letter-list';
import { signPayload } from '../../src/whatsapp/sign';
import { targetName } from '../../src/whatsapp/target-name';
import { ADMIN_TOKEN, eventually, startHarness, type Harness } from '../helpers/harness';
import { messageId, OTHER_PHONE_NUMBER_ID, PHONE_NUMBER_ID, textBatch } from '../helpers/meta-payloads';
import { testPostgresUrl } from '../helpers/postgres/test-schema';

// Dead letters, replay and backfill over real HTTP, with real receivers on loopback, on both stores.

const FORWARD_SECRET = 'forward-secret-for-tests-0123';
const HOUR_MS = 60 * 60_000;

/** A clock the test moves forward, as hours and days pass. */
function movableClock() {
  let offsetMs = 0;
  return { now: () => new Date(Date.now() + offsetMs), advance: (ms: number) => (offsetMs += ms) };
}

const keys = (events: Array<{ idempotencyKey: string | undefined }>) => events.map((e) => e.idempotencyKey);
const keyOf = (n: number) => `message:${messageId(n)}`;

const STORES = [
  { name: 'SQLite', postgres: false, available: true },
  { name: 'PostgreSQL', postgres: true, available: testPostgresUrl() !== undefined },
];

// Without PostgreSQL on the machine its half is skipped; `.ci/run` requires it.
for (const { name, postgres, available } of STORES) (available ? describe : describe.skip)(`dead letters, replay and backfill on ${name}`, () => {
  let h: Harness;
  let receivers: EventReceiver[];
  let clock: ReturnType<typeof movableClock>;

  /** The service forwarding to `count` receivers, its clock the test's. */
  async function start(count: number, env: Record<string, string> = {}): Promise<EventReceiver[]> {
    receivers = await Promise.all(Array.from({ length: count }, () => startEventReceiver()));
    clock = movableClock();
    h = await startHarness({ postgres, clock, env: { FORWARD_URL: receivers.map((r) => r.url).join(','), FORWARD_SECRET, ...env } });
    return receivers;
  }
  afterEach(async () => {
    await h?.close();
    await Promise.all((receivers ?? []).map((r) => r.close()));
  });

  const api = (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    fetch(`${h.url}/api${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    });
  const deadLetters = async (query = ''): Promise<DeadLetterPage> => {
    const res = await api(`/dead-letters${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as DeadLetterPage;
  };
  const replay = async (body: unknown = {}): Promise<{ queued: number }> => {
    const res = await api('/dead-letters/replay', { method: 'POST', body });
    expect(res.status).toBe(200);
    return (await res.json()) as { queued: number };
  };
  const untilDeadLetters = (count: number, query = '') =>
    eventually(async () => {
      const page = await deadLetters(query);
      return page.deadLetters.length === count ? page.deadLetters : undefined;
    });
  const metric = async (line: RegExp) => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    return Number(line.exec(text)?.[1] ?? NaN);
  };
  const label = (target: string) => targetName(target).replace(/[.[\]/]/g, '\\$&');

  it('keeps events a receiver refused as dead letters, with their status, HTTP status and error, newest first', async () => {
    const [refusing, taking] = await start(2);
    refusing?.failWith(422);
    expect((await h.metaPost(textBatch(3))).status).toBe(200);

    const letters = await untilDeadLetters(3);
    expect(letters.map((d) => d.eventId)).toEqual([keyOf(2), keyOf(1), keyOf(0)]);
    expect(letters[0]).toEqual({
      eventId: keyOf(2),
      target: targetName(refusing?.url ?? ''),
      status: 'rejected',
      attempts: 1,
      httpStatus: 422,
      error: 'the target answered HTTP 422',
      givenUpAt: expect.any(String) as string,
      receivedAt: expect.any(String) as string,
      lane: PHONE_NUMBER_ID,
    } satisfies DeadLetterView);
    // The other target took them all: dead letters are per target.
    expect(keys(await taking?.waitForEvents(3) ?? [])).toEqual([0, 1, 2].map(keyOf));
    expect(await metric(new RegExp(`wa_onboard_dead_letters\\{target="${label(refusing?.url ?? '')}",status="rejected"\\} (\\d+)`))).toBe(3);
  });

  it('pages through them with next, by target and status', async () => {
    const [refusing] = await start(1);
    refusing?.failWith(422);
    expect((await h.metaPost(textBatch(5))).status).toBe(200);
    await untilDeadLetters(5);

    const first = await deadLetters('?limit=2');
    const second = await deadLetters(`?limit=2&before=${first.next ?? ''}`);
    const third = await deadLetters(`?limit=2&before=${second.next ?? ''}`);
    expect([first, second, third].flatMap((p) => p.deadLetters.map((d) => d.eventId))).toEqual([4, 3, 2, 1, 0].map(keyOf));
    expect(third.next).toBeNull();
    expect((await deadLetters(`?target=${encodeURIComponent(targetName(refusing?.url ?? ''))}&status=rejected`)).deadLetters).toHaveLength(5);
    expect((await deadLetters(`?target=${encodeURIComponent(refusing?.url ?? '')}&status=expired`)).deadLetters).toEqual([]);
  });

  it('replays them once the receiver is fixed: each once, with its original Idempotency-Key and the same bytes; a second replay sends nothing', async () => {
    const [fixed, healthy] = await start(2);
    fixed?.failWith(400);
    expect((await h.metaPost(textBatch(3))).status).toBe(200);
    const original = (await healthy?.waitForEvents(3)) ?? [];
    await untilDeadLetters(3);

    fixed?.recover();
    expect(await replay({ target: fixed?.url })).toEqual({ queued: 3 });
    const replayed = (await fixed?.waitForEvents(3)) ?? [];
    expect(keys(replayed)).toEqual([0, 1, 2].map(keyOf));
    // The body every target gets is the one stored when the event arrived, byte for byte.
    expect(replayed.map((e) => e.body)).toEqual(original.map((e) => e.body));
    for (const e of replayed) expect(e.signature).toBe(signPayload(FORWARD_SECRET, e.body));
    await untilDeadLetters(0);

    expect(await replay()).toEqual({ queued: 0 });
    // A later event of the same phone number goes out behind anything the replay could have queued.
    expect((await h.metaPost(textBatch(1, { first: 3 }))).status).toBe(200);
    expect(keys(await fixed?.waitForEvents(4) ?? [])).toEqual([0, 1, 2, 3].map(keyOf));
    expect(await metric(new RegExp(`wa_onboard_forwards_replayed_total\\{target="${label(fixed?.url ?? '')}"\\} (\\d+)`))).toBe(3);
    expect(fixed?.events).toHaveLength(4);
  });

  it('puts a replayed event refused again back among the dead letters, with its new error', async () => {
    const [refusing] = await start(1);
    refusing?.failWith(422);
    expect((await h.metaPost(textBatch(1))).status).toBe(200);
    await untilDeadLetters(1);

    refusing?.failWith(410);
    expect(await replay({ eventIds: [keyOf(0)] })).toEqual({ queued: 1 });
    const [again] = await eventually(async () => {
      const letters = (await deadLetters()).deadLetters;
      return letters[0]?.httpStatus === 410 ? letters : undefined;
    });
    expect(again).toMatchObject({ eventId: keyOf(0), status: 'rejected', attempts: 1, error: 'the target answered HTTP 410' });
  });

  it('gives up an event still failing after FORWARD_GIVE_UP_HOURS and keeps it as an expired dead letter, which a replay sends once fixed', async () => {
    const [down] = await start(1, { FORWARD_GIVE_UP_HOURS: '6' });
    down?.failWith(503);
    expect((await h.metaPost(textBatch(1))).status).toBe(200);
    await eventually(() => ((down?.attempts ?? 0) >= 2 ? true : undefined));
    expect((await deadLetters()).deadLetters).toEqual([]); // still retried

    clock.advance(6 * HOUR_MS);
    const [expired] = await untilDeadLetters(1);
    expect(expired).toMatchObject({ eventId: keyOf(0), status: 'expired', httpStatus: 503, error: 'the target answered HTTP 503' });
    expect((await h.webhookOverview()).forwarding[0]).toMatchObject({ backlog: 0, expired: 1 });
    expect(await metric(new RegExp(`wa_onboard_dead_letters\\{target="${label(down?.url ?? '')}",status="expired"\\} (\\d+)`))).toBe(1);

    down?.recover();
    expect(await replay({ status: 'expired' })).toEqual({ queued: 1 });
    expect(keys(await down?.waitForEvents(1) ?? [])).toEqual([keyOf(0)]);
  });

  it('backfills a target added later with exactly the events received since the time given, lane by lane in arrival order', async () => {
    const [first] = await start(1);
    expect((await h.metaPost(textBatch(2))).status).toBe(200);
    await first?.waitForEvents(2);
    clock.advance(HOUR_MS);
    const since = clock.now();
    expect((await h.metaPost(textBatch(3, { first: 10 }))).status).toBe(200);
    expect((await h.metaPost(textBatch(2, { first: 20, phoneNumberId: OTHER_PHONE_NUMBER_ID }))).status).toBe(200);
    expect((await h.metaPost(textBatch(2, { first: 13 }))).status).toBe(200);
    await first?.waitForEvents(9);
    // Recorded as sent too: a forward cut short by the stop would go out again after the restart.
    await eventually(async () => ((await h.webhookOverview()).forwarding.every((f) => f.backlog === 0) ? true : undefined));

    // A receiver added to FORWARD_URL, and the service restarted with it.
    const added = await startEventReceiver();
    receivers.push(added);
    await h.stopService();
    await h.restartService({ env: { FORWARD_URL: `${first?.url},${added.url}` } });

    const res = await api('/forwards/backfill', { method: 'POST', body: { target: added.url, since: since.toISOString() } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ queued: 7 });
    const got = await added.waitForEvents(7);
    const lane = (phone: string) => got.filter((e) => (JSON.parse(e.body) as WhatsAppEvent).phoneNumberId === phone).map((e) => e.idempotencyKey);
    expect(lane(PHONE_NUMBER_ID)).toEqual([10, 11, 12, 13, 14].map(keyOf));
    expect(lane(OTHER_PHONE_NUMBER_ID)).toEqual([20, 21].map(keyOf));
    for (const e of got) expect(e.signature).toBe(signPayload(FORWARD_SECRET, e.body));
    expect(await metric(new RegExp(`wa_onboard_forwards_backfilled_total\\{target="${label(added.url)}"\\} (\\d+)`))).toBe(7);

    // Asked again, it finds them all received.
    const again = await api('/forwards/backfill', { method: 'POST', body: { target: targetName(added.url), since: since.toISOString() } });
    expect(await again.json()).toEqual({ queued: 0 });
    expect(first?.events).toHaveLength(9);
  });

  it('refuses bad requests with 400 and the reason, and changes nothing', async () => {
    const [refusing] = await start(1);
    refusing?.failWith(422);
    expect((await h.metaPost(textBatch(1))).status).toBe(200);
    await untilDeadLetters(1);
    const configured = JSON.stringify(targetName(refusing?.url ?? ''));
    const now = clock.now().getTime();

    const refusals: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/dead-letters/replay', { target: 'https://elsewhere.example.com/hook' }, new RegExp(`is not configured; the configured targets are ${configured.replace(/[.[\]/]/g, '\\$&')}`)],
      ['POST', '/dead-letters/replay', { eventIds: [] }, /eventIds: must name at least one event/],
      ['POST', '/dead-letters/replay', { status: 'sent' }, /status: must be rejected or expired/],
      ['POST', '/dead-letters/replay', { target: refusing?.url, url: 'https://elsewhere.example.com' }, /Unrecognized key/i],
      ['POST', '/dead-letters/replay', '[1', /JSON/i],
      ['POST', '/forwards/backfill', { target: 'https://elsewhere.example.com/hook', since: new Date(now).toISOString() }, /is not configured/],
      ['POST', '/forwards/backfill', { target: refusing?.url, since: 'yesterday' }, /since: must be an ISO time/],
      ['POST', '/forwards/backfill', { target: refusing?.url, since: new Date(now + HOUR_MS).toISOString() }, /since is in the future/],
      ['POST', '/forwards/backfill', { target: refusing?.url, since: new Date(now - 15 * 24 * HOUR_MS).toISOString() }, /older than the retention period: events are kept 14 days/],
      ['POST', '/forwards/backfill', { since: new Date(now).toISOString() }, /target: required/],
      ['GET', '/dead-letters?limit=501', undefined, /limit must be a whole number from 1 to 500/],
      ['GET', '/dead-letters?status=pending', undefined, /status must be rejected or expired/],
      ['GET', '/dead-letters?before=last-tuesday', undefined, /before must be the `next` of a previous page, or an ISO time/],
      ['GET', '/dead-letters?target=https://elsewhere.example.com/hook', undefined, /neither configured nor has dead letters/],
    ];
    for (const [method, path, body, reason] of refusals) {
      const res = await api(path, { method, body });
      expect([method, path, res.status]).toEqual([method, path, 400]);
      expect((await res.json()) as { message: string }).toMatchObject({ error: 'bad_request', message: expect.stringMatching(reason) as string });
    }
    expect((await deadLetters()).deadLetters).toHaveLength(1);
    expect(refusing?.attempts).toBe(1);
  });

  it('takes the POSTs as JSON only, and refuses them from another site', async () => {
    const [refusing] = await start(1);
    refusing?.failWith(422);
    expect((await h.metaPost(textBatch(1))).status).toBe(200);
    await untilDeadLetters(1);

    const form = await api('/dead-letters/replay', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'status=rejected' });
    expect(form.status).toBe(415);
    const crossSite = await api('/dead-letters/replay', { method: 'POST', body: {}, headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    const unauthenticated = await fetch(`${h.url}/api/dead-letters/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unauthenticated.status).toBe(401);
    expect((await deadLetters()).deadLetters).toHaveLength(1);
  });
});
