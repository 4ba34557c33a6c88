import RestException from 'twilio/lib/base/RestException';
import { createTwilioClient } from '../../src/delivery/twilio-client';
import { startFakeTwilioApi, type FakeTwilioApi } from '../../src/embedded/fake-twilio-api';

const ACCOUNT = { accountSid: `AC${'0123456789abcdef'.repeat(2)}`, authToken: 'f'.repeat(32) };
const NUMBER = '+15005550006';
const NUMBER_SID = `PN${'a'.repeat(32)}`;
const SERVICE_SID = `MG${'b'.repeat(32)}`;

describe('the fake Twilio REST API, driven by the real twilio client', () => {
  let api: FakeTwilioApi;
  const client = () => createTwilioClient({ ...ACCOUNT, apiBaseUrl: api.url });

  beforeEach(async () => {
    api = await startFakeTwilioApi(ACCOUNT, {
      numbers: [{ phoneNumber: NUMBER, sid: NUMBER_SID, voiceApplicationSid: `AP${'c'.repeat(32)}` }],
      messagingServiceSids: [SERVICE_SID],
    });
  });
  afterEach(() => api.close());

  it('fetches the account', async () => {
    const account = await client().api.v2010.accounts(ACCOUNT.accountSid).fetch();
    expect(account).toMatchObject({ sid: ACCOUNT.accountSid, status: 'active', type: 'Full' });
    expect(account.dateCreated).toBeInstanceOf(Date);
  });

  it('lists the seeded number by exact phone number, with defaults filled in', async () => {
    const found = await client().incomingPhoneNumbers.list({ phoneNumber: NUMBER });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      sid: NUMBER_SID,
      accountSid: ACCOUNT.accountSid,
      phoneNumber: NUMBER,
      voiceUrl: '',
      voiceMethod: 'POST',
      status: 'in-use',
      capabilities: { voice: true, sms: true, mms: true, fax: true },
    });
    expect(await client().incomingPhoneNumbers.list({ phoneNumber: '+15005550009' })).toEqual([]);
  });

  it('gives a seeded number without a sid a PN sid of 32 hex digits', async () => {
    const other = await startFakeTwilioApi(ACCOUNT, { numbers: [{ phoneNumber: NUMBER, capabilities: { fax: false } }] });
    try {
      expect(other.numbers[0]?.sid).toMatch(/^PN[0-9a-f]{32}$/);
      expect(other.numbers[0]?.capabilities).toEqual({ voice: true, sms: true, mms: true, fax: false });
    } finally {
      await other.close();
    }
  });

  it('updates the voice webhook in the live state, and an empty application sid clears it', async () => {
    const updated = await client().incomingPhoneNumbers(NUMBER_SID).update({
      voiceUrl: 'https://onboard.example.com/twilio/voice',
      voiceMethod: 'POST',
      voiceApplicationSid: '',
    });
    expect(updated).toMatchObject({ voiceUrl: 'https://onboard.example.com/twilio/voice', voiceMethod: 'POST', voiceApplicationSid: '' });
    expect(api.numbers[0]).toMatchObject({ voiceUrl: 'https://onboard.example.com/twilio/voice', voiceApplicationSid: '' });
    const fetched = await client().incomingPhoneNumbers(NUMBER_SID).fetch();
    expect(fetched.voiceUrl).toBe('https://onboard.example.com/twilio/voice');
  });

  it('records every request, so a dry run can be shown to have made no POST', async () => {
    await client().incomingPhoneNumbers.list({ phoneNumber: NUMBER });
    await client().incomingPhoneNumbers(NUMBER_SID).fetch();
    expect(api.requests.map((r) => r.method)).toEqual(['GET', 'GET']);
    await client().incomingPhoneNumbers(NUMBER_SID).update({ voiceUrl: 'https://x.example/v' });
    expect(api.requests[2]).toMatchObject({ method: 'POST', form: { VoiceUrl: 'https://x.example/v' } });
  });

  it('answers 404 / 20404 for a number sid the account does not hold', async () => {
    await expect(client().incomingPhoneNumbers(`PN${'0'.repeat(32)}`).update({ voiceUrl: 'https://x.example/v' })).rejects.toMatchObject({
      status: 404,
      code: 20404,
    });
  });

  it('fetches a seeded messaging service, and 404s an unknown one', async () => {
    const service = await client().messaging.v1.services(SERVICE_SID).fetch();
    expect(service).toMatchObject({ sid: SERVICE_SID, accountSid: ACCOUNT.accountSid });
    await expect(client().messaging.v1.services(`MG${'0'.repeat(32)}`).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  it('refuses a wrong auth token with 401 / 20003, and records the refused request', async () => {
    const wrong = createTwilioClient({ ...ACCOUNT, authToken: 'e'.repeat(32), apiBaseUrl: api.url });
    const failure: unknown = await wrong.incomingPhoneNumbers.list({ phoneNumber: NUMBER }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RestException);
    expect(failure).toMatchObject({ status: 401, code: 20003 });
    expect(api.requests).toHaveLength(1);
  });

  it('still plays the Messages API, its script included', async () => {
    await client().messages.create({ to: '+15005550010', from: NUMBER, body: 'hello' });
    expect(api.messages).toEqual([{ to: '+15005550010', from: NUMBER, messagingServiceSid: undefined, body: 'hello' }]);
    api.script([{ status: 400, code: 21211, message: 'invalid To' }]);
    await expect(client().messages.create({ to: 'x', from: NUMBER, body: 'b' })).rejects.toMatchObject({ status: 400, code: 21211 });
    expect(api.attempts).toBe(2);
    expect(api.requests).toEqual([]);
  });
});
