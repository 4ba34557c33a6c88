import fs from 'node:fs';
import path from 'node:path';
import { goodbyeTwiml, hangupTwiml, listenTwiml, recordTwiml, sorryTwiml, type CallPlan } from '../../src/voice/twiml';
import { twimlDocuments } from '../../src/voice/twiml-documents';

const plan: CallPlan = { publicUrl: 'https://onboard.example.com', codeLength: 6, language: 'en-US', maxListens: 3 };
const XML = '<?xml version="1.0" encoding="UTF-8"?>';
const gather = (listen: number, p: CallPlan = plan) =>
  `<Gather input="dtmf speech" numDigits="${p.codeLength}" timeout="10" speechTimeout="3" speechModel="numbers_and_commands" ` +
  `hints="${p.language === 'es-ES' ? 'cero,uno,una,dos,tres,cuatro,cinco,seis,siete,ocho,nueve' : 'zero,oh,one,two,three,four,five,six,seven,eight,nine'}" ` +
  `language="${p.language}" action="${p.publicUrl}/twilio/gather?listen=${listen}" method="POST"/>`;
const record =
  '<Record maxLength="120" timeout="10" playBeep="false" transcribe="true" ' +
  'transcribeCallback="https://onboard.example.com/twilio/transcription" action="https://onboard.example.com/twilio/recording" ' +
  'method="POST" recordingStatusCallback="https://onboard.example.com/twilio/recording" recordingStatusCallbackMethod="POST"/>';

describe('the TwiML of a verification call', () => {
  it('starts recording the whole call and listens at once, with no greeting, then listens again', () => {
    expect(listenTwiml(plan, 1)).toBe(
      `${XML}<Response>` +
        '<Start><Recording recordingStatusCallback="https://onboard.example.com/twilio/call-recording" ' +
        'recordingStatusCallbackMethod="POST" recordingStatusCallbackEvent="completed"/></Start>' +
        `${gather(1)}<Redirect method="POST">https://onboard.example.com/twilio/voice?listen=2</Redirect></Response>`,
    );
  });

  it('does not start a second call recording on a later try', () => {
    expect(listenTwiml(plan, 2)).toBe(
      `${XML}<Response>${gather(2)}<Redirect method="POST">https://onboard.example.com/twilio/voice?listen=3</Redirect></Response>`,
    );
  });

  it('falls back to a transcribed recording after the last listening try', () => {
    expect(listenTwiml(plan, 3)).toBe(`${XML}<Response>${gather(3)}${record}<Hangup/></Response>`);
  });

  it('records without listening when the last try heard only part of a code', () => {
    expect(recordTwiml(plan)).toBe(`${XML}<Response>${record}<Hangup/></Response>`);
  });

  it('gathers as many digits as the code has, in the configured language', () => {
    const spanish: CallPlan = { ...plan, codeLength: 8, language: 'es-ES' };
    expect(listenTwiml(spanish, 1)).toContain(gather(1, spanish));
  });

  it('hangs up after the code with a short goodbye', () => {
    expect(goodbyeTwiml()).toBe(`${XML}<Response><Say>Thank you. Goodbye.</Say><Hangup/></Response>`);
  });

  it('answers the recording with a hang-up, and failures with a short sorry', () => {
    expect(hangupTwiml()).toBe(`${XML}<Response><Hangup/></Response>`);
    expect(sorryTwiml()).toBe(`${XML}<Response><Say>Sorry, this line cannot take the call right now.</Say><Hangup/></Response>`);
  });

  it('escapes a PUBLIC_URL with characters XML reserves', () => {
    expect(listenTwiml({ ...plan, publicUrl: 'https://h.example/a&b' }, 1)).toContain(
      'action="https://h.example/a&amp;b/twilio/gather?listen=1"',
    );
  });
});

describe('twiml/', () => {
  it.each(Object.entries(twimlDocuments()))('%s matches the builders (run `npm run twiml` after changing them)', (name, xml) => {
    expect(fs.readFileSync(path.join(__dirname, '..', '..', 'twiml', name), 'utf8')).toBe(xml);
  });
});
