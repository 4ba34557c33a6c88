import { createHmac } from 'node:crypto';
import { MAX_WEBHOOK_BYTES } from '../../src/whatsapp/intake';
import { signPayload } from '../../src/whatsapp/sign';
import { META, startHarness, type Harness } from '../helpers/harness';
import { inboxRows } from '../helpers/inbox-rows';
import { fixture, fixtureWire, toMetaWire } from '../helpers/meta-wire';

describe("Meta's subscription check: GET /webhooks/whatsapp", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const check = (query: Record<string, string>) => fetch(`${h.url}/webhooks/whatsapp?${new URLSearchParams(query).toString()}`);

  it('answers the challenge as plain text, byte for byte, and records when it was verified', async () => {
    expect((await h.webhookOverview()).lastVerifiedAt).toBeNull();
    const challenge = '1158201444 +/=é&x';
    const res = await check({ 'hub.mode': 'subscribe', 'hub.verify_token': META.verifyToken, 'hub.challenge': challenge });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe(challenge);
    expect((await h.webhookOverview()).lastVerifiedAt).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
  });

  it('refuses a wrong verify token with 403 and says which setting to compare', async () => {
    const res = await check({ 'hub.mode': 'subscribe', 'hub.verify_token': `${META.verifyToken}x`, 'hub.challenge': '42' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('WHATSAPP_VERIFY_TOKEN');
  });

  it.each([
    ['no challenge', { 'hub.mode': 'subscribe', 'hub.verify_token': META.verifyToken }],
    ['no token', { 'hub.mode': 'subscribe', 'hub.challenge': '42' }],
    ['no mode', { 'hub.verify_token': META.verifyToken, 'hub.challenge': '42' }],
    ['another mode', { 'hub.mode': 'unsubscribe', 'hub.verify_token': META.verifyToken, 'hub.challenge': '42' }],
  ])('answers 400 to a check with %s', async (_case, query) => {
    const res = await check(query);
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain('42');
  });

  it('answers 400 when a parameter is repeated', async () => {
    const q = `hub.mode=subscribe&hub.verify_token=${META.verifyToken}&hub.challenge=1&hub.challenge=2`;
    expect((await fetch(`${h.url}/webhooks/whatsapp?${q}`)).status).toBe(400);
  });
});

describe('event POSTs: POST /webhooks/whatsapp', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ env: { WHATSAPP_APP_SECRET_PREVIOUS: 'previous-app-secret-0123456789' } });
  });
  afterEach(() => h.close());

  const text = fixtureWire('text');
  const hmacHex = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex');

  it('stores the exact bytes Meta signed, then answers 200', async () => {
    const res = await h.metaPost(text);
    expect(res.status).toBe(200);
    const rows = (await inboxRows(h.store));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.body.equals(text)).toBe(true);
    expect(rows[0]?.signed_with).toBe('current');
    expect(rows[0]?.signature).toBe(signPayload(META.appSecret, text));
  });

  it('accepts the escaped wire form whose signature a re-serialised body would not match', async () => {
    const wire = fixtureWire('text');
    const reserialised = Buffer.from(JSON.stringify(fixture('text')));
    expect(wire.equals(reserialised)).toBe(false);
    expect(wire.toString()).toMatch(/\\u00e1|\\\//);
    expect((await h.metaPost(wire)).status).toBe(200);
  });

  it('accepts a body signed with the previous app secret during a rotation', async () => {
    const res = await h.metaPost(text, { signature: signPayload('previous-app-secret-0123456789', text) });
    expect(res.status).toBe(200);
    expect((await inboxRows(h.store))[0]?.signed_with).toBe('previous');
  });

  it.each([
    ['no X-Hub-Signature-256 header', null, /is missing/],
    ['an empty header', '', /is missing/],
    ['the sha1= prefix of the old scheme', `sha1=${hmacHex(META.appSecret, text)}`, /must start with "sha256="/],
    ['a short hex', `sha256=${hmacHex(META.appSecret, text).slice(0, 63)}`, /64 hex characters/],
    ['64 characters that are not hex', `sha256=${'z'.repeat(64)}`, /64 hex characters/],
    ['a signature made with another secret', signPayload('some-other-app-secret-000', text), /does not match the body/],
  ])('refuses a POST with %s: 401, and nothing is stored', async (_case, signature, reason) => {
    const res = await h.metaPost(text, { signature });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toMatch(reason);
    expect((await inboxRows(h.store))).toHaveLength(0);
    expect((await h.webhookOverview()).counts.stored).toBe(0);
  });

  it('refuses a body changed after signing, by one byte', async () => {
    const tampered = Buffer.from(text);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 3) ^ 1, tampered.length - 3);
    expect((await h.metaPost(tampered, { signature: signPayload(META.appSecret, text) })).status).toBe(401);
    expect((await inboxRows(h.store))).toHaveLength(0);
  });

  it('refuses a body of 3 MB + 1 byte with 413 before storing anything, and takes one of exactly 3 MB', async () => {
    const tooLarge = Buffer.alloc(MAX_WEBHOOK_BYTES + 1, 0x20);
    const res = await h.metaPost(tooLarge);
    expect(res.status).toBe(413);
    expect((await inboxRows(h.store))).toHaveLength(0);

    const largest = Buffer.alloc(MAX_WEBHOOK_BYTES, 0x20);
    text.copy(largest);
    expect((await h.metaPost(largest)).status).toBe(200);
    expect((await inboxRows(h.store))).toHaveLength(1);
  });

  it('refuses an unsigned empty body with 401', async () => {
    expect((await h.metaPost('', { signature: null })).status).toBe(401);
    expect((await inboxRows(h.store))).toHaveLength(0);
  });

  it.each([
    ['an empty body', Buffer.alloc(0), /not valid JSON/],
    ['invalid JSON', Buffer.from('{"object":"whatsapp_business_account","entry":['), /not valid JSON/],
    ['an array at the top level', Buffer.from(toMetaWire([fixture('text')])), /not a WhatsApp Business Account payload/],
    ['another object type', Buffer.from(toMetaWire({ ...fixture('text'), object: 'page' })), /object/],
  ])('stores %s that is signed, flags it invalid, and still answers 200', async (_case, body, problem) => {
    expect((await h.metaPost(body)).status).toBe(200);
    await h.service.dispatcher.runNow();

    const rows = (await inboxRows(h.store));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.state).toBe('invalid');
    expect(rows[0]?.problem).toMatch(problem);
    const overview = await h.webhookOverview();
    expect(overview.counts).toMatchObject({ stored: 1, invalid: 1, dispatched: 0, events: 0 });
  });

  it('takes an authentic body sent with another content type: the signature, not the header, is what we trust', async () => {
    expect((await h.metaPost(text, { contentType: 'text/plain' })).status).toBe(200);
    await h.service.dispatcher.runNow();
    expect(await h.events()).toHaveLength(1);
  });

  it('answers the same through Express as through the fast path (a trailing slash goes through Express)', async () => {
    const res = await fetch(`${h.url}/webhooks/whatsapp/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signPayload(META.appSecret, text) },
      body: text,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'stored' });
    const refused = await fetch(`${h.url}/webhooks/whatsapp/`, { method: 'POST', body: text });
    expect(refused.status).toBe(401);
    expect((await inboxRows(h.store))).toHaveLength(1);
  });
});

describe('the signature check outside production', () => {
  it('can be turned off in local mode only, and then stores unsigned POSTs marked unchecked', async () => {
    const h = await startHarness({ env: { NODE_ENV: 'development', WHATSAPP_SIGNATURE_CHECK: 'off' } });
    try {
      expect((await h.metaPost(fixtureWire('text'), { signature: null })).status).toBe(200);
      expect((await inboxRows(h.store))[0]?.signed_with).toBe('unchecked');
    } finally {
      await h.close();
    }
  });
});

describe('what the intake logs and counts', () => {
  it('never logs a signature, the app secret or a body, even when it refuses a POST', async () => {
    const h = await startHarness();
    try {
      const body = fixtureWire('text');
      const good = signPayload(META.appSecret, body);
      const forged = signPayload('forged-secret-0000000000', body);
      expect((await h.metaPost(body)).status).toBe(200);
      expect((await h.metaPost(body, { signature: forged })).status).toBe(401);
      await h.service.dispatcher.runNow();

      const log = h.logs.join('\n');
      expect(log).toContain('refused a webhook POST: bad signature');
      for (const secret of [good.slice(7), forged.slice(7), META.appSecret, 'Ca\\u00f1\\u00f3n', 'Cañón']) {
        expect(log).not.toContain(secret);
      }
    } finally {
      await h.close();
    }
  });

  it('counts POSTs by outcome and events by novelty in /metrics', async () => {
    const h = await startHarness();
    try {
      await h.metaPost(fixtureWire('text'));
      await h.metaPost(fixtureWire('text'));
      await h.metaPost(fixtureWire('text'), { signature: null });
      await h.service.dispatcher.runNow();
      const metrics = await (await fetch(`${h.url}/metrics`)).text();
      expect(metrics).toContain('wa_onboard_webhook_posts_total{outcome="stored"} 2');
      expect(metrics).toContain('wa_onboard_webhook_posts_total{outcome="refused"} 1');
      expect(metrics).toContain('wa_onboard_webhook_events_total{outcome="new"} 1');
      expect(metrics).toContain('wa_onboard_webhook_events_total{outcome="duplicate"} 1');
    } finally {
      await h.close();
    }
  });
});
