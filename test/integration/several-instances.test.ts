import { startEventReceiver, type EventReceiver } from '../../src/embedded/event-receiver';
import { ADMIN_TOKEN, callParams, eventually, startHarness, type Harness, type HarnessOptions } from '../helpers/harness';
import { messageId, textBatch } from '../helpers/meta-payloads';
import { testPostgresUrl } from '../helpers/postgres/test-schema';

/**
 * Two instances of the service on one PostgreSQL, in this process, each on its own port, as two
 * containers behind a load balancer would be: whichever gets a request, they behave as one service.
 * (test/faults/ does the same with real processes, killed.)
 */

const FORWARD_SECRET = 'forward-secret-for-several-instances';
const run = testPostgresUrl() ? describe : describe.skip;

let a: Harness;
let b: Harness;
let receiver: EventReceiver;

/** Instance A on a fresh schema, and instance B on the same one, sharing SMTP and Twilio's API. */
async function twoInstances(options: HarnessOptions = {}): Promise<void> {
  receiver = await startEventReceiver();
  const env = { FORWARD_URL: receiver.url, FORWARD_SECRET, ...options.env };
  a = await startHarness({ ...options, postgres: true, env });
  b = await startHarness({ ...options, smtp: a.smtp, twilioApi: a.twilioApi, env: { ...env, DATABASE_URL: a.env.DATABASE_URL } });
}

afterEach(async () => {
  await b?.service.close();
  await a?.close();
  await receiver?.close();
});

/** Reads an open event stream until `pattern` appears in it. */
async function streamUntil(url: string, headers: Record<string, string>, pattern: RegExp, signal: AbortSignal): Promise<string> {
  const res = await fetch(`${url}/api/live`, { headers, signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let received = '';
  while (!pattern.test(received)) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the stream ended');
    received += decoder.decode(value, { stream: true });
  }
  return received;
}

run('several instances on one PostgreSQL', () => {
  it('shows a code captured on one instance, live, on a page open on the other', async () => {
    await twoInstances();
    const controller = new AbortController();
    const seen = streamUntil(b.url, { authorization: `Bearer ${ADMIN_TOKEN}` }, /id="latest-code"[^>]*>987654</, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the page has its first view
    const sid = 'CA' + 'd'.repeat(32);
    await a.twilioPost('/twilio/voice', callParams(sid));
    await a.twilioPost('/twilio/gather?listen=1', callParams(sid, { SpeechResult: 'nine eight seven six five four' }));
    await expect(seen).resolves.toContain('987654');
    controller.abort();
  });

  it('lets a session opened on one instance in on the other, and signs it out everywhere', async () => {
    await twoInstances();
    const login = await fetch(`${a.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
      redirect: 'manual',
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect((await fetch(`${b.url}/api/codes`, { headers: { cookie } })).status).toBe(200);
    await fetch(`${b.url}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect((await fetch(`${a.url}/api/codes`, { headers: { cookie } })).status).toBe(401);
  });

  it('delivers a code once per recipient when a call goes back and forth between the instances', async () => {
    await twoInstances();
    const sid = 'CA' + 'e'.repeat(32);
    await a.twilioPost('/twilio/voice', callParams(sid));
    await b.twilioPost('/twilio/gather?listen=1', callParams(sid, { SpeechResult: 'four eight' }));
    await a.twilioPost('/twilio/voice?listen=2', callParams(sid));
    // The same try reaches both (Twilio retrying on another instance), then the transcript comes too.
    await Promise.all([
      a.twilioPost('/twilio/gather?listen=2', callParams(sid, { SpeechResult: '4 8 2 9 1 7' })),
      b.twilioPost('/twilio/gather?listen=2', callParams(sid, { SpeechResult: '4 8 2 9 1 7' })),
    ]);
    await b.twilioPost('/twilio/transcription', callParams(sid, { TranscriptionText: '482917', TranscriptionStatus: 'completed' }));
    await a.smtp.waitFor(1);
    await a.twilioApi.waitForMessages(1);
    await Promise.all([a.service.worker.idle(), b.service.worker.idle()]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(a.smtp.received.map((e) => e.subject)).toEqual(['WhatsApp verification code for +15005550006: 482917']);
    expect(a.twilioApi.messages.map((m) => m.body)).toEqual(['WhatsApp verification code for +15005550006: 482917']);
    const [code] = await b.codes();
    expect(code?.deliveries.map((d) => [d.channel, d.status])).toEqual([
      ['email', 'sent'],
      ['sms', 'sent'],
    ]);
  });

  it('forwards each event once and each lane in order, whichever instance got it and however often', async () => {
    await twoInstances();
    // Two lanes (two phone number ids), POSTed in turn to A and B, then each POST again to the other.
    const posts = Array.from({ length: 60 }, (_, n) => textBatch(1, { first: n, phoneNumberId: n % 2 === 0 ? '1065400001' : '1065400002' }));
    for (const [n, body] of posts.entries()) expect((await (n % 2 === 0 ? a : b).metaPost(body)).status).toBe(200);
    for (const [n, body] of posts.entries()) expect((await (n % 2 === 0 ? b : a).metaPost(body)).status).toBe(200);
    const got = await receiver.waitForEvents(60);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const keys = receiver.events.map((e) => e.idempotencyKey);
    expect(new Set(keys).size).toBe(60);
    expect(keys).toHaveLength(60);
    const lane = (even: boolean) =>
      got.filter((e) => (JSON.parse(e.body) as { phoneNumberId: string }).phoneNumberId === (even ? '1065400001' : '1065400002'));
    expect(lane(true).map((e) => e.idempotencyKey)).toEqual(posts.map((_, n) => `message:${messageId(n)}`).filter((_, n) => n % 2 === 0));
    expect(lane(false).map((e) => e.idempotencyKey)).toEqual(posts.map((_, n) => `message:${messageId(n)}`).filter((_, n) => n % 2 === 1));
    // The redeliveries are dispatched (as duplicates) a moment after the events they repeat went out.
    const counts = await eventually(async () => {
      const now = (await a.webhookOverview()).counts;
      return now.pending === 0 ? now : undefined;
    });
    expect(counts).toMatchObject({ stored: 120, events: 60, duplicates: 60, pending: 0 });
  });

  it('wakes the other instance for new work at once, long before it would look by itself', async () => {
    await twoInstances({ pollMs: 60_000 });
    // A stores and dispatches, but sends nothing itself: B must hear of the work.
    await a.service.worker.stop();
    await a.service.forwarder.stop();
    const sid = 'CA' + 'f'.repeat(32);
    const started = Date.now();
    await a.twilioPost('/twilio/voice', callParams(sid));
    await a.twilioPost('/twilio/gather?listen=1', callParams(sid, { Digits: '135790' }));
    expect((await a.metaPost(textBatch(1, { first: 900 }))).status).toBe(200);
    await a.smtp.waitFor(1, 10_000);
    await receiver.waitForEvents(1, 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    await a.twilioApi.waitForMessages(1, 10_000);
  });
});
