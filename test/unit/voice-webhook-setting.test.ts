import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTwilioClient } from '../../src/delivery/twilio-client';
import { startFakeTwilioApi, type FakeNumberSeed, type FakeTwilioApi } from '../../src/embedded/fake-twilio-api';
import { findIncomingNumber, pointVoiceUrl, voiceSettingProblems, type IncomingNumber } from '../../src/voice/voice-webhook-setting';

const ACCOUNT = { accountSid: `AC${'0123456789abcdef'.repeat(2)}`, authToken: 'f'.repeat(32) };
const NUMBER = '+15005550006';
const NUMBER_SID = `PN${'a'.repeat(32)}`;
const APP_SID = `AP${'c'.repeat(32)}`;
const EXPECTED_URL = 'https://onboard.example.com/twilio/voice';

describe('voiceSettingProblems', () => {
  const fine: IncomingNumber = {
    sid: NUMBER_SID,
    phoneNumber: NUMBER,
    voiceUrl: EXPECTED_URL,
    voiceMethod: 'POST',
    voiceApplicationSid: '',
    trunkSid: '',
    canTakeCalls: true,
    canSendSms: true,
  };

  it('names an Elastic SIP trunk, which takes the calls whatever the URL says', () => {
    expect(voiceSettingProblems({ ...fine, trunkSid: `TK${'d'.repeat(32)}` }, EXPECTED_URL)).toEqual([
      `SIP trunk TK${'d'.repeat(32)} takes the calls, so the voice URL is ignored`,
    ]);
  });

  it('finds nothing wrong with a number that POSTs calls to the expected URL', () => {
    expect(voiceSettingProblems(fine, EXPECTED_URL)).toEqual([]);
  });

  it('accepts the method in lower case, as it is only compared to POST', () => {
    expect(voiceSettingProblems({ ...fine, voiceMethod: 'post' }, EXPECTED_URL)).toEqual([]);
  });

  it('names the URL the calls go to when it is another one', () => {
    expect(voiceSettingProblems({ ...fine, voiceUrl: 'https://demo.twilio.com/welcome/voice/' }, EXPECTED_URL)).toEqual([
      `the voice URL is "https://demo.twilio.com/welcome/voice/", not ${EXPECTED_URL}`,
    ]);
  });

  it('says the voice URL is empty rather than quoting an empty string', () => {
    expect(voiceSettingProblems({ ...fine, voiceUrl: '' }, EXPECTED_URL)).toEqual([`the voice URL is empty, not ${EXPECTED_URL}`]);
  });

  it('refuses the expected URL called with GET', () => {
    expect(voiceSettingProblems({ ...fine, voiceMethod: 'GET' }, EXPECTED_URL)).toEqual(['the voice URL is called with GET, not POST']);
  });

  it('warns that a voice application answers the calls in place of the voice URL', () => {
    expect(voiceSettingProblems({ ...fine, voiceApplicationSid: APP_SID }, EXPECTED_URL)).toEqual([
      `voice application ${APP_SID} answers the calls, so the voice URL is ignored`,
    ]);
  });

  it('says so when the number cannot take voice calls at all', () => {
    expect(voiceSettingProblems({ ...fine, canTakeCalls: false }, EXPECTED_URL)).toEqual([`${NUMBER} cannot take voice calls`]);
  });

  it('lists every problem at once, not only the first', () => {
    const broken = { ...fine, canTakeCalls: false, voiceApplicationSid: APP_SID, voiceUrl: '' };
    expect(voiceSettingProblems(broken, EXPECTED_URL)).toEqual([
      `${NUMBER} cannot take voice calls`,
      `voice application ${APP_SID} answers the calls, so the voice URL is ignored`,
      `the voice URL is empty, not ${EXPECTED_URL}`,
    ]);
  });
});

/**
 * Stands in front of the fake as real Twilio does where the fake is stricter: it drops the
 * `PhoneNumber` filter (Twilio's also matches parts of numbers) and can rewrite the JSON answered.
 */
async function startLooseTwilio(target: string, rewrite: (json: string) => string = (json) => json) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', target);
      url.searchParams.delete('PhoneNumber');
      const headers = { authorization: req.headers.authorization ?? '', 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' };
      const body = req.method === 'GET' ? undefined : Buffer.concat(chunks);
      fetch(url, { method: req.method, headers, body })
        .then(async (answer) => {
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end(rewrite(await answer.text()));
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('findIncomingNumber and pointVoiceUrl, with the real twilio client on the fake API', () => {
  let api: FakeTwilioApi;
  const start = async (numbers: FakeNumberSeed[]) => {
    api = await startFakeTwilioApi(ACCOUNT, { numbers });
    return createTwilioClient({ ...ACCOUNT, apiBaseUrl: api.url });
  };
  afterEach(() => api.close());

  it('finds the number with its voice settings and capabilities', async () => {
    const client = await start([{ phoneNumber: NUMBER, sid: NUMBER_SID, voiceUrl: EXPECTED_URL, voiceMethod: 'GET', voiceApplicationSid: APP_SID }]);
    expect(await findIncomingNumber(client, NUMBER)).toEqual({
      sid: NUMBER_SID,
      phoneNumber: NUMBER,
      voiceUrl: EXPECTED_URL,
      voiceMethod: 'GET',
      voiceApplicationSid: APP_SID,
      trunkSid: '',
      canTakeCalls: true,
      canSendSms: true,
    });
  });

  it('answers null for a number the account does not hold', async () => {
    const client = await start([{ phoneNumber: NUMBER, sid: NUMBER_SID }]);
    expect(await findIncomingNumber(client, '+15005550009')).toBeNull();
  });

  it('keeps only the exact number when the filter also matches a longer number that ends with it', async () => {
    const longer = `+44${NUMBER.slice(1)}`;
    await start([
      { phoneNumber: longer, sid: `PN${'b'.repeat(32)}` },
      { phoneNumber: NUMBER, sid: NUMBER_SID },
    ]);
    const loose = await startLooseTwilio(api.url);
    try {
      const found = await findIncomingNumber(createTwilioClient({ ...ACCOUNT, apiBaseUrl: loose.url }), NUMBER);
      expect(found).toMatchObject({ sid: NUMBER_SID, phoneNumber: NUMBER });
      expect(await findIncomingNumber(createTwilioClient({ ...ACCOUNT, apiBaseUrl: loose.url }), '+15005550')).toBeNull();
    } finally {
      await loose.close();
    }
  });

  it.each([
    [true, true],
    [false, false],
  ])('reads capabilities { sms: %s } as canSendSms %s', async (sms, canSendSms) => {
    const client = await start([{ phoneNumber: NUMBER, capabilities: { sms } }]);
    expect((await findIncomingNumber(client, NUMBER))?.canSendSms).toBe(canSendSms);
  });

  it('reads the SMS capability when Twilio spells its key in upper case', async () => {
    await start([{ phoneNumber: NUMBER, capabilities: { sms: true } }]);
    const upper = await startLooseTwilio(api.url, (json) => json.replace(/"sms":/g, '"SMS":'));
    try {
      const found = await findIncomingNumber(createTwilioClient({ ...ACCOUNT, apiBaseUrl: upper.url }), NUMBER);
      expect(found?.canSendSms).toBe(true);
    } finally {
      await upper.close();
    }
  });

  it('reads capabilities { voice: false } as a number that cannot take calls', async () => {
    const client = await start([{ phoneNumber: NUMBER, capabilities: { voice: false } }]);
    expect((await findIncomingNumber(client, NUMBER))?.canTakeCalls).toBe(false);
  });

  it('points the voice URL with POST and clears the voice application when told to', async () => {
    const client = await start([{ phoneNumber: NUMBER, sid: NUMBER_SID, voiceMethod: 'GET', voiceApplicationSid: APP_SID }]);
    const updated = await pointVoiceUrl(client, NUMBER_SID, { voiceUrl: EXPECTED_URL, clearVoiceApplication: true });
    expect(updated).toMatchObject({ voiceUrl: EXPECTED_URL, voiceMethod: 'POST', voiceApplicationSid: '' });
    expect(api.numbers[0]).toMatchObject({ voiceUrl: EXPECTED_URL, voiceMethod: 'POST', voiceApplicationSid: '' });
  });

  it('leaves the voice application alone when not told to clear it', async () => {
    const client = await start([{ phoneNumber: NUMBER, sid: NUMBER_SID, voiceApplicationSid: APP_SID }]);
    const updated = await pointVoiceUrl(client, NUMBER_SID, { voiceUrl: EXPECTED_URL, clearVoiceApplication: false });
    expect(updated).toMatchObject({ voiceUrl: EXPECTED_URL, voiceApplicationSid: APP_SID });
    expect(api.numbers[0]?.voiceApplicationSid).toBe(APP_SID);
    expect(api.requests.at(-1)).toMatchObject({ method: 'POST' });
    expect(api.requests.at(-1)?.form).not.toHaveProperty('VoiceApplicationSid');
  });
});
