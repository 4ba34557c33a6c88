import { callParams } from '../helpers/harness';
import { FaultWorld, TEAM_EMAIL, TEAM_PHONE, until } from './helpers/fault-world';
import { report } from './helpers/report';
import { postWebhooks, quantile } from './helpers/webhook-load';

/**
 * The parts the service talks to fail in the ways they do in production: an SMTP server down for a
 * while, Twilio's API answering 500 and then 429 before it takes the SMS, the team's event receiver
 * slow or gone. Each delivery goes through when its part recovers, once, and the other channel never
 * waits for it. The service's own retry schedule is used as shipped (5 s doubling for codes, 1 s
 * doubling for forwards), so these tests take tens of seconds.
 */

let world: FaultWorld;

afterEach(async () => {
  await world?.close();
});

const codeDeliveries = async () => (await world.books.deliveries()).filter((d) => d.kind === 'code');
const delivery = async (channel: 'email' | 'sms') => (await codeDeliveries()).find((d) => d.channel === channel);

async function callWithCode(callSid: string, spoken: string): Promise<void> {
  expect((await world.twilioPost('/twilio/voice', callParams(callSid))).status).toBe(200);
  const answer = await world.twilioPost('/twilio/gather?listen=1', callParams(callSid, { SpeechResult: spoken }));
  expect(answer.status).toBe(200);
}

describe('a part of the deployment fails for a while', () => {
  it('delivers the email once the SMTP server is back, and the SMS meanwhile', async () => {
    world = await FaultWorld.start();
    await world.stopSmtp();
    await world.startService();

    await callWithCode('CAsmtpdown', 'Your code is 3 0 5 1 7 7');
    const twilioApi = world.twilioApi;
    if (!twilioApi) throw new Error('no Twilio API');
    // The SMS does not wait for the mail server.
    await twilioApi.waitForMessages(1, 10_000);
    await until('two failed email attempts', async () => ((await delivery('email'))?.attempts ?? 0) >= 2, 60_000);
    const whileDown = await delivery('email');
    expect(whileDown).toMatchObject({ status: 'pending' });
    expect(whileDown?.last_error).toMatch(/ECONNREFUSED|connect/i);

    const smtp = await world.startSmtp();
    await smtp.waitFor(1, 60_000);
    await until('the email recorded as sent', async () => (await delivery('email'))?.status === 'sent');

    expect(smtp.received.map((m) => m.to)).toEqual([[TEAM_EMAIL]]);
    expect(smtp.received[0]?.text).toContain('305177');
    expect(twilioApi.messages.map((m) => m.to)).toEqual([TEAM_PHONE]);
    report('SMTP down for a while', {
      'failed email attempts while down': whileDown?.attempts ?? 0,
      'emails received after recovery': smtp.received.length,
      'SMS received (not held back)': twilioApi.messages.length,
      lost: 2 - smtp.received.length - twilioApi.messages.length,
    });
  });

  it("sends the SMS once after Twilio's API answers 500, then 429, then 201", async () => {
    world = await FaultWorld.start();
    const twilioApi = world.twilioApi;
    if (!twilioApi) throw new Error('no Twilio API');
    twilioApi.script([
      { status: 500, code: 20500, message: 'Internal Server Error' },
      { status: 429, code: 20429, message: 'Too Many Requests' },
    ]);
    await world.startService();

    await callWithCode('CAtwilio', 'Your code is 6 6 1 0 2 4');
    await world.smtp?.waitFor(1, 10_000);
    await twilioApi.waitForMessages(1, 60_000);
    await until('the SMS recorded as sent', async () => (await delivery('sms'))?.status === 'sent');

    expect(twilioApi.attempts).toBe(3);
    expect(twilioApi.messages.map((m) => m.to)).toEqual([TEAM_PHONE]);
    expect(twilioApi.messages[0]?.body).toContain('661024');
    expect(await delivery('sms')).toMatchObject({ attempts: 3 });
    expect(world.smtp?.received).toHaveLength(1);
    report("Twilio's API answers 500, then 429, then 201", {
      'Messages API requests': twilioApi.attempts,
      'SMS taken': twilioApi.messages.length,
      'emails received (not held back)': world.smtp?.received.length ?? 0,
      lost: 2 - twilioApi.messages.length - (world.smtp?.received.length ?? 0),
    });
  });

  it('goes on answering Meta while the forward receiver takes 10 s per event, and forwards everything once it is quick again', async () => {
    world = await FaultWorld.start();
    const service = await world.startService();
    const receiver = world.receiver;
    if (!receiver) throw new Error('no receiver');

    const healthy = await postWebhooks({ url: service.url, connections: 50, count: 2_000 });
    await until('the healthy phase forwarded', () => receiver.events.length >= 2_000, 60_000);
    receiver.answerAfter(10_000);
    // The slow phase must be answered within the first slow forward's 10 s: nothing may wait on it.
    const slow = await postWebhooks({ url: service.url, connections: 50, first: 2_000, count: 2_000 });
    // Every answer came while the receiver still held the first forward of the slow phase.
    expect(receiver.events.length).toBe(2_000);
    expect(slow.acknowledged.size).toBe(2_000);
    expect((await world.books.forwardStates()).sent).toBe(2_000);

    receiver.recover();
    await until('every event forwarded', () => receiver.events.length >= 4_000, 120_000);
    const keys = new Set(receiver.events.map((e) => e.idempotencyKey));
    expect(keys.size).toBe(4_000);
    report('forward receiver answering in 10 s (then quick again)', {
      'events acknowledged (healthy, then slow)': `${healthy.acknowledged.size} + ${slow.acknowledged.size}`,
      'webhook p99 ms, receiver healthy': quantile(healthy.latenciesMs, 0.99).toFixed(1),
      'webhook p99 ms, receiver slow': quantile(slow.latenciesMs, 0.99).toFixed(1),
      'events forwarded (distinct keys)': keys.size,
      'duplicates by Idempotency-Key': receiver.events.length - keys.size,
      lost: 4_000 - keys.size,
    });
  });

  it('keeps forwards owed while the receiver is gone, and sends them all when it is back', async () => {
    world = await FaultWorld.start();
    await world.stopReceiver();
    const service = await world.startService();

    const tally = await postWebhooks({ url: service.url, connections: 10, count: 500 });
    expect(tally.acknowledged.size).toBe(500);
    await until('three failed forward attempts', () => (world.service?.logged('could not forward an event; will retry').length ?? 0) >= 3, 30_000);

    const failedWhileDown = world.service?.logged('could not forward an event; will retry').length ?? 0;
    const receiver = await world.startReceiver();
    await until('every event forwarded', () => receiver.events.length >= 500, 60_000);
    await until('every forward recorded as sent', async () => (await world.books.forwardStates()).sent === 500);
    const keys = new Set(receiver.events.map((e) => e.idempotencyKey));
    expect(keys.size).toBe(500);
    report('forward receiver down, then back', {
      'events acknowledged while it was down': tally.acknowledged.size,
      'failed forward attempts while down': failedWhileDown,
      'events forwarded (distinct keys)': keys.size,
      'duplicates by Idempotency-Key': receiver.events.length - keys.size,
      lost: 500 - keys.size,
    });
  });
});
