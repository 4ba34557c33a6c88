import { rehearsalMark, REHEARSAL_HEADER } from '../../src/whatsapp/rehearsal-mark';
import { signPayload } from '../../src/whatsapp/sign';
import { eventually, META, startHarness, type Harness } from '../helpers/harness';
import { inboxRows } from '../helpers/inbox-rows';
import { fixtureWire } from '../helpers/meta-wire';

// What our own commands send as Meta would (wa-onboard doctor, simulate webhook) carries a rehearsal
// mark; the service keeps it apart from Meta's traffic, and the mark lets no one past a check.

describe('rehearsals of the subscription check: GET /webhooks/whatsapp', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  const check = (options: { token?: string; mark?: (challenge: string) => string } = {}) => {
    const challenge = '8822193401';
    const query = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': options.token ?? META.verifyToken, 'hub.challenge': challenge });
    return fetch(`${h.url}/webhooks/whatsapp?${query.toString()}`, {
      headers: options.mark ? { [REHEARSAL_HEADER]: options.mark(challenge) } : {},
    });
  };

  it("answers a marked check, and records it as a rehearsal, not as Meta's verification", async () => {
    const res = await check({ mark: (challenge) => rehearsalMark(META.verifyToken, challenge) });

    expect(res.status).toBe(200);
    const overview = await h.webhookOverview();
    expect(overview.lastVerifiedAt).toBeNull();
    expect(overview.rehearsals.lastVerifiedAt).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    expect(h.logs.join('\n')).toContain('a rehearsal (wa-onboard doctor) checked the webhook callback URL');
  });

  it("records a check whose mark was made for another challenge as Meta's verification", async () => {
    await check({ mark: () => rehearsalMark(META.verifyToken, 'another-challenge') });

    const overview = await h.webhookOverview();
    expect(overview.lastVerifiedAt).not.toBeNull();
    expect(overview.rehearsals.lastVerifiedAt).toBeNull();
  });

  it('still refuses a marked check with a wrong verify token, and records nothing', async () => {
    const res = await check({ token: 'a-guessed-token', mark: (challenge) => rehearsalMark('a-guessed-token', challenge) });

    expect(res.status).toBe(403);
    const overview = await h.webhookOverview();
    expect([overview.lastVerifiedAt, overview.rehearsals.lastVerifiedAt]).toEqual([null, null]);
  });
});

describe('rehearsal POSTs: POST /webhooks/whatsapp', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  const body = fixtureWire('status-failed');
  const marked = { [REHEARSAL_HEADER]: rehearsalMark(META.appSecret, body) };

  it("stores a signed, marked POST as a rehearsal, and keeps its failed status out of Meta's counts and failures", async () => {
    expect((await h.metaPost(body, { headers: marked })).status).toBe(200);
    await h.service.dispatcher.runNow();

    expect((await inboxRows(h.store)).map((r) => r.rehearsal)).toEqual([true]);
    const overview = await h.webhookOverview();
    expect(overview.counts).toMatchObject({ stored: 0, events: 0, byKind: { status: 0 } });
    expect(overview.failures).toEqual([]);
    expect(overview.rehearsals.latest.map((e) => `${e.kind} ${e.type}`)).toEqual(['status failed']);
    expect((await h.events()).map((e) => e.rehearsal)).toEqual([true]);
  });

  it('refuses an unsigned POST that carries a valid rehearsal mark: 401, nothing stored', async () => {
    const res = await h.metaPost(body, { signature: null, headers: marked });

    expect(res.status).toBe(401);
    expect(await inboxRows(h.store)).toEqual([]);
  });

  it('refuses a marked POST signed with another secret: 401, nothing stored', async () => {
    const res = await h.metaPost(body, { signature: signPayload('another-app-secret-0123456789', body), headers: marked });

    expect(res.status).toBe(401);
    expect(await inboxRows(h.store)).toEqual([]);
  });

  it.each([
    ['a bare flag', '1'],
    ["Meta's own signature copied", signPayload(META.appSecret, body)],
    ['the mark of another body', rehearsalMark(META.appSecret, fixtureWire('text'))],
  ])("counts a Meta-signed POST whose mark is forged (%s) as Meta's: stored, counted, listed among the failures", async (_case, mark) => {
    expect((await h.metaPost(body, { headers: { [REHEARSAL_HEADER]: mark } })).status).toBe(200);
    await h.service.dispatcher.runNow();

    expect((await inboxRows(h.store)).map((r) => r.rehearsal)).toEqual([false]);
    const overview = await h.webhookOverview();
    expect(overview.counts).toMatchObject({ stored: 1, events: 1 });
    expect(overview.failures.map((f) => f.type)).toEqual(['failed']);
    expect(overview.rehearsals.events).toBe(0);
  });

  it('counts a real event after a rehearsal of it: the rehearsal takes nothing from it', async () => {
    await h.metaPost(body, { headers: marked });
    await h.service.dispatcher.runNow();
    await h.metaPost(body);
    await h.service.dispatcher.runNow();

    const overview = await h.webhookOverview();
    expect(overview.counts).toMatchObject({ stored: 1, events: 1, duplicates: 0 });
    expect(overview.failures.map((f) => f.eventId)).toEqual([expect.stringMatching(/^status:/)]);
    expect(overview.rehearsals).toMatchObject({ events: 1, duplicates: 0 });
  });

  it('leaves rehearsals out of the webhook metrics', async () => {
    await h.metaPost(body, { headers: marked });
    await h.metaPost(fixtureWire('text'));
    await eventually(async () => ((await h.webhookOverview()).rehearsals.events === 1 ? true : undefined));
    await h.service.dispatcher.runNow();

    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toContain('wa_onboard_webhook_posts_total{outcome="stored"} 1');
    expect(metrics).toContain('wa_onboard_webhook_events_total{outcome="new"} 1');
  });
});
