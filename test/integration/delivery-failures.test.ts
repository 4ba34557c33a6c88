import { startLocalSmtpServer } from '../../src/embedded/local-smtp-server';
import { callParams, eventually, startHarness, type Harness } from '../helpers/harness';

/** Meta's call ends with a code: voice, then a gather that hears it. */
async function captureCode(h: Harness, callSid: string, spoken: string): Promise<void> {
  await h.twilioPost('/twilio/voice', callParams(callSid));
  const res = await h.twilioPost('/twilio/gather?listen=1', callParams(callSid, { SpeechResult: spoken }));
  expect(res.status).toBe(200);
}

const deliveryOf = async (h: Harness, channel: string) => (await h.codes())[0]?.deliveries.find((d) => d.channel === channel);

describe('delivering a code when a part is down', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('sends the SMS while SMTP is down, and the email once SMTP is back', async () => {
    h = await startHarness();
    const port = h.smtp.port;
    await h.smtp.close();
    await captureCode(h, 'CAsmtpdown', '5 5 5 1 2 3');

    const [sms] = await h.twilioApi.waitForMessages(1);
    expect(sms?.body).toContain('555123');
    const retried = await eventually(async () => {
      const email = await deliveryOf(h, 'email');
      return email && email.attempts >= 2 ? email : undefined;
    });
    expect(retried.status).toBe('pending');
    expect(retried.error).toMatch(/could not be reached/);

    const smtpAgain = await startLocalSmtpServer({ port });
    try {
      const [email] = await smtpAgain.waitFor(1);
      expect(email?.subject).toContain('555123');
      const done = await eventually(async () => ((await deliveryOf(h, 'email'))?.status === 'sent' ? true : undefined));
      expect(done).toBe(true);
    } finally {
      await smtpAgain.close();
    }
  });

  it('retries an SMS that Twilio answered with 500, then sends it', async () => {
    h = await startHarness();
    h.twilioApi.script([{ status: 500, code: 20500, message: 'Internal Server Error' }]);
    await captureCode(h, 'CA500', '2 4 6 8 0 2');
    const [sms] = await h.twilioApi.waitForMessages(1);
    expect(sms?.body).toContain('246802');
    const sent = await eventually(async () => {
      const d = await deliveryOf(h, 'sms');
      return d?.status === 'sent' ? d : undefined;
    });
    expect(sent.attempts).toBe(2);
    expect(h.twilioApi.attempts).toBe(2);
  });

  it('retries through 429 as well', async () => {
    h = await startHarness();
    h.twilioApi.script([
      { status: 500, code: 20500 },
      { status: 429, code: 20429, message: 'Too Many Requests' },
    ]);
    await captureCode(h, 'CA429', '1 1 2 2 3 3');
    await h.twilioApi.waitForMessages(1);
    const sent = await eventually(async () => {
      const d = await deliveryOf(h, 'sms');
      return d?.status === 'sent' ? d : undefined;
    });
    expect(sent.attempts).toBe(3);
  });

  it('records 21211 as a permanent failure with its explanation, and still sends the email', async () => {
    h = await startHarness();
    h.twilioApi.script([{ status: 400, code: 21211, message: "The 'To' number is not a valid phone number." }]);
    await captureCode(h, 'CA21211', '9 8 7 6 5 4');
    await h.smtp.waitFor(1);
    const failed = await eventually(async () => {
      const d = await deliveryOf(h, 'sms');
      return d?.status === 'failed' ? d : undefined;
    });
    expect(failed.attempts).toBe(1);
    expect(failed.error).toMatch(/21211.*NOTIFY_SMS_TO/);
    await h.service.worker.idle();
    expect(h.twilioApi.attempts).toBe(1);
  });

  it('gives up after the retry policy and records why', async () => {
    const { exponentialBackoff } = await import('../../src/delivery/retry-policy');
    h = await startHarness({ retry: exponentialBackoff({ baseMs: 10, maxMs: 20, maxAttempts: 3 }) });
    h.twilioApi.script(Array.from({ length: 5 }, () => ({ status: 503, code: 20503 })));
    await captureCode(h, 'CAgiveup', '3 1 4 1 5 9');
    const failed = await eventually(async () => {
      const d = await deliveryOf(h, 'sms');
      return d?.status === 'failed' ? d : undefined;
    });
    expect(failed.attempts).toBe(3);
    expect(failed.error).toMatch(/^gave up after 3 attempts/);
  });

  it('completes deliveries left pending by a restart', async () => {
    h = await startHarness();
    const port = h.smtp.port;
    await h.smtp.close();
    h.twilioApi.script(Array.from({ length: 50 }, () => ({ status: 503, code: 20503 })));
    await captureCode(h, 'CArestart', '7 7 0 0 1 1');
    await eventually(async () => ((await deliveryOf(h, 'sms'))?.attempts ? true : undefined));
    await h.stopService();

    h.twilioApi.clearScript();
    const smtpAgain = await startLocalSmtpServer({ port });
    try {
      await h.restartService();
      const [email] = await smtpAgain.waitFor(1);
      const [sms] = await h.twilioApi.waitForMessages(1);
      expect(email?.subject).toContain('770011');
      expect(sms?.body).toContain('770011');
      const statuses = await eventually(async () => {
        const all = (await h.codes())[0]?.deliveries.map((d) => d.status);
        return all?.every((s) => s === 'sent') ? all : undefined;
      });
      expect(statuses).toEqual(['sent', 'sent']);
    } finally {
      await smtpAgain.close();
    }
  });
});
