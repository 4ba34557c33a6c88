import fs from 'node:fs';
import path from 'node:path';
import twilio from 'twilio';
import { simulateTwilioCall } from '../../src/embedded/simulated-twilio-call';
import { ACCOUNT, callParams, META_CALLER, OUR_NUMBER, PUBLIC_URL, startHarness, type Harness } from '../helpers/harness';

describe('the verification call, end to end', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  it('captures a spoken code and delivers it by email and SMS', async () => {
    const steps = await simulateTwilioCall({
      serviceUrl: h.url,
      publicUrl: PUBLIC_URL,
      ...ACCOUNT,
      from: META_CALLER,
      to: OUR_NUMBER,
      speech: 'Your WhatsApp verification code is 4 8 2, 9 1 7. Again, your code is 4 8 2, 9 1 7.',
    });
    expect(steps.map((s) => [s.path, s.status])).toEqual([
      ['/twilio/voice', 200],
      ['/twilio/gather?listen=1', 200],
    ]);
    expect(steps[1]?.twiml).toContain('<Hangup/>');

    const [email] = await h.smtp.waitFor(1);
    expect(email?.to).toEqual(['team@example.com']);
    expect(email?.subject).toBe(`WhatsApp verification code for ${OUR_NUMBER}: 482917`);
    const [sms] = await h.twilioApi.waitForMessages(1);
    expect(sms).toEqual({ to: '+15005550001', from: OUR_NUMBER, body: `WhatsApp verification code for ${OUR_NUMBER}: 482917` });

    const [code] = await h.codes();
    expect(code).toMatchObject({ code: '482917', source: 'speech', from: META_CALLER, to: OUR_NUMBER });
  });

  it('captures digits typed on a keypad', async () => {
    await h.twilioPost('/twilio/voice', callParams('CAkeys'));
    const res = await h.twilioPost('/twilio/gather?listen=1', callParams('CAkeys', { Digits: '135790' }));
    expect(await res.text()).toContain('<Hangup/>');
    const [code] = await h.codes();
    expect(code).toMatchObject({ code: '135790', source: 'dtmf' });
  });

  it('listens again when a try heard only part of the code, and records after the last try', async () => {
    await h.twilioPost('/twilio/voice', callParams('CApart'));
    const again = await (await h.twilioPost('/twilio/gather?listen=1', callParams('CApart', { SpeechResult: 'your code is 4 8 2' }))).text();
    expect(again).toContain('action="https://onboard.example.com/twilio/gather?listen=2"');
    const last = await (await h.twilioPost('/twilio/gather?listen=4', callParams('CApart', { SpeechResult: '9 1' }))).text();
    expect(last).not.toContain('<Gather');
    expect(last).toContain('<Record');
    expect(await h.codes()).toEqual([]);
  });

  it('records a code heard twice in one call once, and delivers it once', async () => {
    await h.twilioPost('/twilio/voice', callParams('CAtwice'));
    await h.twilioPost('/twilio/gather?listen=1', callParams('CAtwice', { SpeechResult: '1 2 3 4 5 6' }));
    await h.twilioPost('/twilio/transcription', callParams('CAtwice', { TranscriptionText: 'one two three four five six', TranscriptionStatus: 'completed' }));
    await h.smtp.waitFor(1);
    await h.twilioApi.waitForMessages(1);
    await h.service.worker.idle();
    expect(await h.codes()).toHaveLength(1);
    expect(h.smtp.received).toHaveLength(1);
    expect(h.twilioApi.messages).toHaveLength(1);
  });

  it('takes the code from the transcript when no try heard it', async () => {
    await h.twilioPost('/twilio/voice', callParams('CAtranscript'));
    const recording = { RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1', RecordingDuration: '31' };
    expect(await (await h.twilioPost('/twilio/recording', callParams('CAtranscript', recording))).text()).toContain('<Hangup/>');
    await h.twilioPost(
      '/twilio/transcription',
      callParams('CAtranscript', { ...recording, TranscriptionText: 'Your code is $4.82 917.', TranscriptionStatus: 'completed' }),
    );
    const [code] = await h.codes();
    expect(code).toMatchObject({ code: '482917', source: 'transcription' });
    const [email] = await h.smtp.waitFor(1);
    expect(email?.subject).toContain('482917');
  });

  it('sends the recording link and what was heard when the call ends with no code', async () => {
    await h.twilioPost('/twilio/voice', callParams('CAnothing'));
    await h.twilioPost('/twilio/gather?listen=1', callParams('CAnothing', { SpeechResult: 'your code is four eight' }));
    const recording = { RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE2' };
    await h.twilioPost('/twilio/recording', callParams('CAnothing', recording));
    await h.twilioPost('/twilio/transcription', callParams('CAnothing', { ...recording, TranscriptionText: '', TranscriptionStatus: 'failed' }));
    const [email] = await h.smtp.waitFor(1);
    expect(email?.subject).toBe(`No code heard on the verification call to ${OUR_NUMBER}`);
    expect(email?.text).toContain(recording.RecordingUrl);
    expect(email?.text).toContain('your code is four eight');
    const [sms] = await h.twilioApi.waitForMessages(1);
    expect(sms?.body).toContain(recording.RecordingUrl);
    expect(await h.codes()).toEqual([]);
  });

  it('refuses a request with no signature: 403, nothing stored, nothing sent', async () => {
    const res = await fetch(`${h.url}/twilio/gather?listen=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(callParams('CAforged', { Digits: '111111' })).toString(),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/text\/xml/);
    await h.service.worker.idle();
    expect(await h.codes()).toEqual([]);
    expect(h.smtp.received).toEqual([]);
    expect(h.twilioApi.attempts).toBe(0);
  });

  it('refuses a request signed with another auth token: 403, nothing stored', async () => {
    const params = callParams('CAforged', { Digits: '222222' });
    const res = await fetch(`${h.url}/twilio/gather?listen=1`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature('0'.repeat(32), `${PUBLIC_URL}/twilio/gather?listen=1`, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(res.status).toBe(403);
    expect(await h.codes()).toEqual([]);
  });

  it('answers a signed request without a CallSid with 400 TwiML', async () => {
    const res = await h.twilioPost('/twilio/voice', { From: META_CALLER });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Hangup/>');
  });
});

describe('answers to Twilio that are not about a code', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('answers an oversized body with TwiML, not JSON', async () => {
    const res = await fetch(`${h.url}/twilio/voice`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `CallSid=CAbig&Junk=${'x'.repeat(100_000)}`,
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/text\/xml/);
    expect(await res.text()).toContain('<Hangup/>');
  });

  it('keeps listening when the store fails, and delivers a code heard meanwhile from the spool', async () => {
    await h.service.stores.close();
    const answer = await h.twilioPost('/twilio/voice', callParams('CAnostore'));
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('<Gather');
    const gathered = await h.twilioPost('/twilio/gather?listen=1', callParams('CAnostore', { SpeechResult: '4 8 2 9 1 7' }));
    expect(await gathered.text()).toContain('<Hangup/>');
    const [email] = await h.smtp.waitFor(1);
    expect(email?.subject).toContain('482917');
    const [sms] = await h.twilioApi.waitForMessages(1);
    expect(sms?.body).toContain('482917');
    expect(fs.readdirSync(path.join(h.dataDir, 'spool'))).toEqual([`CAnostore-482917.json`]);
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(503);
  });
});

describe('when no code is heard', () => {
  let h: Harness;
  afterEach(() => h.close());
  const wholeCall = { RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/REwhole', RecordingStatus: 'completed' };

  it('tells the team as soon as a call ends before the fallback recording, with the whole-call link', async () => {
    h = await startHarness();
    await h.twilioPost('/twilio/voice', callParams('CAshort'));
    await h.twilioPost('/twilio/gather?listen=1', callParams('CAshort', { SpeechResult: 'your code is 4 8 2' }));
    // Twilio's recording callbacks carry no From or To.
    await h.twilioPost('/twilio/call-recording', { CallSid: 'CAshort', AccountSid: ACCOUNT.accountSid, ...wholeCall });
    const [email] = await h.smtp.waitFor(1);
    expect(email?.subject).toBe(`No code heard on the verification call to ${OUR_NUMBER}`);
    expect(email?.text).toContain(wholeCall.RecordingUrl);
    expect(email?.text).toContain('your code is 4 8 2');
    const [sms] = await h.twilioApi.waitForMessages(1);
    expect(sms?.body).toContain('The caller said (their words, not ours): "your code is 4 8 2"');
  });

  it('waits for the transcript when the call reached the fallback recording', async () => {
    h = await startHarness();
    await h.twilioPost('/twilio/voice', callParams('CAlong'));
    await h.twilioPost('/twilio/gather?listen=4', callParams('CAlong', { SpeechResult: 'four' }));
    await h.twilioPost('/twilio/call-recording', { CallSid: 'CAlong', AccountSid: ACCOUNT.accountSid, ...wholeCall });
    await h.service.worker.idle();
    expect(h.smtp.received).toEqual([]);
    await h.twilioPost('/twilio/transcription', callParams('CAlong', { TranscriptionText: 'Your code is 4 8 2 9 1 7.', TranscriptionStatus: 'completed' }));
    const [email] = await h.smtp.waitFor(1);
    expect(email?.subject).toContain('482917');
    await h.service.worker.idle();
    expect(h.smtp.received).toHaveLength(1);
  });

  it('sends nothing more when the call ended with a code', async () => {
    h = await startHarness();
    await h.twilioPost('/twilio/voice', callParams('CAgood'));
    await h.twilioPost('/twilio/gather?listen=1', callParams('CAgood', { SpeechResult: '1 2 3 4 5 6' }));
    await h.twilioPost('/twilio/call-recording', { CallSid: 'CAgood', AccountSid: ACCOUNT.accountSid, ...wholeCall });
    await h.smtp.waitFor(1);
    await h.service.worker.idle();
    expect(h.smtp.received.map((e) => e.subject)).toEqual([`WhatsApp verification code for ${OUR_NUMBER}: 123456`]);
  });

  it('tells the team at the deadline when nothing else ever comes', async () => {
    h = await startHarness({ missedCallDeadlineMs: 300 });
    await h.twilioPost('/twilio/voice', callParams('CAsilent'));
    const [email] = await h.smtp.waitFor(1);
    expect(email?.subject).toBe(`No code heard on the verification call to ${OUR_NUMBER}`);
    expect(email?.text).toContain('No recording was made.');
  });
});
