import { emailFor, smsFor } from '../../src/delivery/messages';
import type { DeliveryJob } from '../../src/store/call-store';

const RECEIVED = new Date('2025-03-01T12:00:05.000Z');
/** The shape of the RecordingUrl Twilio posts: account SID and recording SID, 32 hex each. */
const RECORDING_URL = `https://api.twilio.com/2010-04-01/Accounts/AC${'0123456789abcdef'.repeat(2)}/Recordings/RE${'fedcba9876543210'.repeat(2)}`;

function job(overrides: Partial<DeliveryJob> = {}, call: Partial<DeliveryJob['call']> = {}): DeliveryJob {
  return {
    id: 1,
    kind: 'code',
    channel: 'email',
    recipient: 'ops@example.com',
    attempts: 0,
    createdAt: RECEIVED,
    call: {
      callSid: `CA${'a'.repeat(32)}`,
      from: '+16505550100',
      to: '+14155550123',
      recordingUrl: null,
      heard: [],
      ...call,
    },
    code: { code: '482917', source: 'dtmf', receivedAt: RECEIVED },
    ...overrides,
  };
}

const missedCall = (call: Partial<DeliveryJob['call']> = {}) => job({ kind: 'missed-call', code: undefined }, call);

describe('emailFor a code', () => {
  const email = emailFor(job());

  it('goes to the delivery recipient', () => {
    expect(email.to).toBe('ops@example.com');
  });

  it('names the code and the registered number in the subject', () => {
    expect(email.subject).toContain('482917');
    expect(email.subject).toContain('+14155550123');
  });

  it('names the code, the number, the call and how the code was heard in the text', () => {
    expect(email.text).toContain('482917');
    expect(email.text).toContain('+14155550123');
    expect(email.text).toContain(`CA${'a'.repeat(32)}`);
    expect(email.text).toContain('keyed in');
    expect(email.text).toContain(RECEIVED.toISOString());
  });

  it('says a code from the transcript came from the transcript', () => {
    const fromTranscript = emailFor(job({ code: { code: '482917', source: 'transcription', receivedAt: RECEIVED } }));
    expect(fromTranscript.text).toContain("in the call's transcript");
  });
});

describe('smsFor a code', () => {
  it('carries the code and the number in one 160-character segment', () => {
    const sms = smsFor(job({ channel: 'sms', recipient: '+14155550199', code: { code: '4829170123', source: 'speech', receivedAt: RECEIVED } }));
    expect(sms.to).toBe('+14155550199');
    expect(sms.body).toContain('4829170123');
    expect(sms.body).toContain('+14155550123');
    expect(sms.body.length).toBeLessThanOrEqual(160);
  });
});

describe('emailFor a missed call', () => {
  it('links the recording and lists what was heard', () => {
    const email = emailFor(missedCall({ recordingUrl: RECORDING_URL, heard: ['your code is four eight', 'two nine'] }));
    expect(email.subject).toContain('No code heard');
    expect(email.subject).toContain('+14155550123');
    expect(email.text).toContain(`Recording: ${RECORDING_URL}`);
    expect(email.text).toContain('  - your code is four eight\n  - two nine');
  });

  it('says so when there is no recording and nothing was heard', () => {
    const email = emailFor(missedCall());
    expect(email.text).toContain('No recording was made.');
    expect(email.text).toContain('Nothing was heard.');
    expect(email.text).not.toContain('Recording:');
  });
});

describe('smsFor a missed call', () => {
  it('says no code was heard, without a recording link when there is none', () => {
    const sms = smsFor(missedCall());
    expect(sms.body).toBe("No code heard on Meta's call to +14155550123.");
  });

  it('links the recording', () => {
    expect(smsFor(missedCall({ recordingUrl: RECORDING_URL })).body).toContain(RECORDING_URL);
  });

  // Twilio's RecordingUrl alone is 123 characters: the link matters more than one segment.
  it('carries the whole recording link, even past one segment', () => {
    const sms = smsFor(missedCall({ recordingUrl: RECORDING_URL }));
    expect(sms.body.endsWith(RECORDING_URL)).toBe(true);
  });
});

describe('smsFor a missed call, with what was heard', () => {
  it('quotes what was heard, shortened, before the link', () => {
    const sms = smsFor(missedCall({ recordingUrl: RECORDING_URL, heard: ['your code is four eight', 'two nine one seven and then a long tail of words'] }));
    expect(sms.body).toContain('Heard: "your code is four eight / two nine one seven and then a lon…".');
    expect(sms.body.endsWith(RECORDING_URL)).toBe(true);
  });
});

describe('messages of a rehearsal (wa-onboard simulate call)', () => {
  const rehearsal = { rehearsal: true };

  it("marks the code's email subject as a rehearsal, and says in the text that the code is made up", () => {
    const email = emailFor(job({}, rehearsal));
    expect(email.subject).toBe('[rehearsal] WhatsApp verification code for +14155550123: 482917');
    expect(email.text.split('\n')[0]).toMatch(/^This is a rehearsal \(wa-onboard simulate call\), not Meta's call: .*made up/);
  });

  it("marks the code's SMS as a rehearsal, still in one 160-character segment", () => {
    const sms = smsFor(job({ channel: 'sms', code: { code: '4829170123', source: 'speech', receivedAt: RECEIVED } }, rehearsal));
    expect(sms.body).toBe('[rehearsal] WhatsApp verification code for +14155550123: 4829170123');
    expect(sms.body.length).toBeLessThanOrEqual(160);
  });

  it('marks the missed-call notice too, by email and by SMS', () => {
    expect(emailFor(missedCall(rehearsal)).subject).toBe('[rehearsal] No code heard on the verification call to +14155550123');
    expect(smsFor(missedCall(rehearsal)).body).toBe("[rehearsal] No code heard on Meta's call to +14155550123.");
  });

  it("leaves Meta's own call's messages as they were", () => {
    expect(emailFor(job()).subject).toBe('WhatsApp verification code for +14155550123: 482917');
    expect(smsFor(job({ channel: 'sms' })).body).toBe('WhatsApp verification code for +14155550123: 482917');
  });
});
