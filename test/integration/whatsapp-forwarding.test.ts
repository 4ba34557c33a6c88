import { everythingStored } from '../helpers/store-reader';
import { startEventReceiver, type EventReceiver } from '../../src/embedded/event-receiver';
import type { WhatsAppEvent } from '../../src/whatsapp/event';
import { signPayload } from '../../src/whatsapp/sign';
import { targetName } from '../../src/whatsapp/target-name';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { messageId, OTHER_PHONE_NUMBER_ID, textBatch } from '../helpers/meta-payloads';
import { fixtureWire } from '../helpers/meta-wire';

const FORWARD_SECRET = 'forward-secret-for-tests-0123';

describe('forwarding events to FORWARD_URL', () => {
  let h: Harness;
  let receiver: EventReceiver;
  let second: EventReceiver;
  beforeEach(async () => {
    [receiver, second] = await Promise.all([startEventReceiver(), startEventReceiver()]);
    h = await startHarness({ env: { FORWARD_URL: `${receiver.url},${second.url}`, FORWARD_SECRET }, forwardTimeoutMs: 500 });
  });
  afterEach(async () => {
    await h.close();
    await Promise.all([receiver.close(), second.close()]);
  });

  const parsed = (body: string) => JSON.parse(body) as WhatsAppEvent;

  it('POSTs each event as JSON to every target, signed over the exact body, keyed for idempotency', async () => {
    expect((await h.metaPost(fixtureWire('text'))).status).toBe(200);
    for (const target of [receiver, second]) {
      const [got] = await target.waitForEvents(1);
      expect(got?.contentType).toBe('application/json');
      expect(got?.signature).toBe(signPayload(FORWARD_SECRET, got?.body ?? ''));
      const event = parsed(got?.body ?? '{}');
      expect(got?.idempotencyKey).toBe(event.id);
      expect(event).toMatchObject({ kind: 'message', type: 'text', data: { text: { body: 'Olá! Cañón 🎉 see https://example.com/a/b' } } });
    }
  });

  it('keeps retrying while a target is down, then delivers everything once per key, in order, and the other target is not held back', async () => {
    receiver.failWith(503);
    expect((await h.metaPost(textBatch(20))).status).toBe(200);
    expect((await h.metaPost(textBatch(20, { first: 20 }))).status).toBe(200);

    // The healthy target gets everything while the other one is failing.
    await second.waitForEvents(40);
    await eventually(() => (receiver.attempts >= 4 ? true : undefined));
    expect(receiver.events).toHaveLength(0);
    const backlog = (await h.webhookOverview()).forwarding.find((f) => f.target === targetName(receiver.url));
    expect(backlog).toMatchObject({ backlog: 40, lastError: 'the target answered HTTP 503' });

    receiver.recover();
    const got = await receiver.waitForEvents(40);
    const keys = got.map((e) => e.idempotencyKey);
    expect(keys).toEqual(Array.from({ length: 40 }, (_, i) => `message:${messageId(i)}`));
    expect(new Set(keys).size).toBe(40);
    for (const e of got) expect(e.signature).toBe(signPayload(FORWARD_SECRET, e.body));
    await eventually(async () => ((await h.webhookOverview()).forwarding.every((f) => f.backlog === 0) ? true : undefined));
  });

  it('forwards what was owed before a restart once the service is back', async () => {
    receiver.failWith(500);
    expect((await h.metaPost(textBatch(5))).status).toBe(200);
    await second.waitForEvents(5);
    await eventually(() => (receiver.attempts >= 1 ? true : undefined));

    await h.stopService();
    receiver.recover();
    await h.restartService();

    const got = await receiver.waitForEvents(5);
    expect(got.map((e) => e.idempotencyKey)).toEqual(Array.from({ length: 5 }, (_, i) => `message:${messageId(i)}`));
  });

  it('keeps arrival order per phone number while a stuck number does not hold back another', async () => {
    // The first event of the first number hangs until the forward times out; the other number's go through.
    receiver.script(['hang']);
    expect((await h.metaPost(textBatch(3))).status).toBe(200);
    expect((await h.metaPost(textBatch(3, { first: 100, phoneNumberId: OTHER_PHONE_NUMBER_ID }))).status).toBe(200);

    const got = await receiver.waitForEvents(6);
    const lane = (phone: string) => got.filter((e) => parsed(e.body).phoneNumberId === phone).map((e) => e.idempotencyKey);
    expect(lane(OTHER_PHONE_NUMBER_ID)).toEqual([100, 101, 102].map((n) => `message:${messageId(n)}`));
    expect(lane(parsed(got.find((e) => e.idempotencyKey === `message:${messageId(0)}`)?.body ?? '{}').phoneNumberId ?? '')).toEqual(
      [0, 1, 2].map((n) => `message:${messageId(n)}`),
    );
    // The other number's events did not wait for the stuck one.
    expect(got.findIndex((e) => e.idempotencyKey === `message:${messageId(100)}`)).toBeLessThan(
      got.findIndex((e) => e.idempotencyKey === `message:${messageId(0)}`),
    );
  });

  it('answers Meta 200 while a target hangs: forwarding never holds the intake', async () => {
    receiver.script(['hang', 'hang']);
    expect((await h.metaPost(fixtureWire('text'))).status).toBe(200);
    await eventually(() => (receiver.attempts >= 1 ? true : undefined));
    // The first forward is still hanging; Meta's next POSTs are answered meanwhile.
    for (const name of ['image', 'video', 'audio']) expect((await h.metaPost(fixtureWire(name))).status).toBe(200);
    expect(receiver.events).toHaveLength(0);
  });

  it('records a target that refuses an event for good (422) and moves its lane on', async () => {
    receiver.script([422]);
    expect((await h.metaPost(textBatch(2))).status).toBe(200);
    const got = await receiver.waitForEvents(1);
    expect(got[0]?.idempotencyKey).toBe(`message:${messageId(1)}`);
    // The receiver has the second event a moment before its outcome is stored.
    const view = await eventually(async () => {
      const target = (await h.webhookOverview()).forwarding.find((f) => f.target === targetName(receiver.url));
      return target?.sent === 1 ? target : undefined;
    });
    expect(view).toMatchObject({ rejected: 1, sent: 1, backlog: 0, lastError: 'the target answered HTTP 422' });
  });
});

describe('how a forward target is named outside the store', () => {
  let h: Harness;
  let receiver: EventReceiver;
  afterEach(async () => {
    await h.close();
    await receiver.close();
  });

  // A Slack-style webhook URL's path or query is its only secret, and /metrics, the logs and
  // /api/webhook reach more eyes (and machines) than FORWARD_URL does.
  it('names a target by its origin and a short id in /metrics, the logs and /api/webhook, never by its path, query or credentials', async () => {
    receiver = await startEventReceiver();
    const target = receiver.url.replace('http://', 'http://hook-user:PASSWORD-LEAK@').replace('/events', '/events/PATH-LEAK?token=QUERY-LEAK');
    h = await startHarness({ env: { FORWARD_URL: target, FORWARD_SECRET }, forwardTimeoutMs: 500 });
    receiver.script([503, 422]);
    expect((await h.metaPost(textBatch(2))).status).toBe(200);
    await receiver.waitForEvents(1);
    const named = targetName(target);
    expect(named).toBe(`${new URL(receiver.url).origin}/…[${named.slice(-7, -1)}]`);

    const metrics = await eventually(async () => {
      const text = await (await fetch(`${h.url}/metrics`)).text();
      return text.includes('outcome="sent"') ? text : undefined;
    });
    const overview = JSON.stringify(await h.webhookOverview());
    const logs = h.logs.join('');
    for (const [where, text] of [['/metrics', metrics], ['/api/webhook', overview], ['the logs', logs]] as const) {
      expect({ where, leaks: ['PASSWORD-LEAK', 'hook-user', 'PATH-LEAK', 'QUERY-LEAK', '/events'].filter((s) => text.includes(s)) }).toEqual({ where, leaks: [] });
    }
    for (const outcome of ['retry', 'rejected', 'sent']) expect(metrics).toContain(`wa_onboard_forwards_total{target="${named}",outcome="${outcome}"} 1`);
    expect(logs).toContain(JSON.stringify(named));
    expect(overview).toContain(JSON.stringify(named));
  });
});

describe('an in-process onEvent handler', () => {
  it('receives every event, and a throw is retried like a failed POST without crashing anything', async () => {
    const seen: string[] = [];
    let failures = 2;
    const h = await startHarness({
      onEvent: (event) => {
        if (failures-- > 0) throw new Error('handler not ready');
        seen.push(event.id);
      },
    });
    try {
      expect((await h.metaPost(textBatch(3))).status).toBe(200);
      await eventually(() => (seen.length === 3 ? true : undefined));
      expect(seen).toEqual([0, 1, 2].map((n) => `message:${messageId(n)}`));
      expect(h.logs.some((l) => l.includes('the onEvent handler threw: handler not ready'))).toBe(true);
      expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe('changing the forwarding settings', () => {
  it('keeps the backlog when only the password in FORWARD_URL changes, and never stores the password', async () => {
    const receiver = await startEventReceiver();
    const withPassword = (password: string) => receiver.url.replace('http://', `http://hook:${password}@`);
    receiver.failWith(503);
    const h = await startHarness({ env: { FORWARD_URL: withPassword('old-password'), FORWARD_SECRET } });
    try {
      expect((await h.metaPost(textBatch(2))).status).toBe(200);
      await eventually(() => (receiver.attempts >= 1 ? true : undefined));
      await h.stopService();
      receiver.recover();
      const again = await startHarness({
        dataDir: h.dataDir,
        smtp: h.smtp,
        twilioApi: h.twilioApi,
        env: { FORWARD_URL: withPassword('new-password'), FORWARD_SECRET, DATABASE_URL: h.env.DATABASE_URL },
      });
      try {
        const got = await receiver.waitForEvents(2);
        expect(got.map((e) => e.idempotencyKey)).toEqual([0, 1].map((n) => `message:${messageId(n)}`));
        const stored = await everythingStored(h.store);
        expect(stored).toContain(receiver.url); // the check reads what the database holds
        expect(stored.includes('old-password')).toBe(false);
        expect(stored.includes('new-password')).toBe(false);
      } finally {
        await again.service.close();
      }
    } finally {
      await h.close();
      await receiver.close();
    }
  });
});

describe('an onEvent handler that never finishes', () => {
  it('is given up on after the timeout and retried, and does not keep the service from stopping', async () => {
    let calls = 0;
    const h = await startHarness({
      forwardTimeoutMs: 50,
      onEvent: () => {
        calls++;
        return new Promise(() => undefined);
      },
    });
    expect((await h.metaPost(fixtureWire('text'))).status).toBe(200);
    await eventually(() => (calls >= 2 ? true : undefined));
    expect(h.logs.some((l) => l.includes('the onEvent handler did not finish'))).toBe(true);
    await h.close(); // resolves: the stop aborts what is in flight
  });
});
