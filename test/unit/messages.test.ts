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
  it("links the recording and quotes what was heard, labelled as the caller's words", () => {
    const email = emailFor(missedCall({ recordingUrl: RECORDING_URL, heard: ['your code is four eight', 'two nine'] }));
    expect(email.subject).toContain('No code heard');
    expect(email.subject).toContain('+14155550123');
    expect(email.text).toContain(`Recording: ${RECORDING_URL}`);
    expect(email.text).toContain('\nThe caller said (their words, not ours): "your code is four eight / two nine"\n');
  });

  it('quotes at most 200 characters of what was heard, ending in an ellipsis', () => {
    const email = emailFor(missedCall({ heard: ['word '.repeat(100)] }));
    const quoted = /The caller said \(their words, not ours\): "(.*)"/.exec(email.text)?.[1] ?? '';
    expect(Array.from(quoted)).toHaveLength(200);
    expect(quoted.endsWith('…')).toBe(true);
  });

  it('quotes what was heard as one line of plain text: no new line, header, hidden character or closing quote of its own', () => {
    const heard = ['call now\r\nBcc: victim@example.com', 'visit\u202Eevil\u200B "site" \u0000</p><a href=x>'];
    const email = emailFor(missedCall({ heard }));
    const line = email.text.split('\n').find((l) => l.startsWith('The caller said'));
    expect(line).toBe(`The caller said (their words, not ours): "call now Bcc: victim@example.com / visit evil 'site' </p><a href=x>"`);
    expect(email.text).not.toMatch(/^Bcc:/m);
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
  it("quotes what was heard, labelled as the caller's words and cut to 80 characters, before the link", () => {
    const sms = smsFor(
      missedCall({ recordingUrl: RECORDING_URL, heard: ['your code is four eight', 'two nine one seven and then a long tail of words that goes on'] }),
    );
    expect(sms.body).toContain(
      'The caller said (their words, not ours): "your code is four eight / two nine one seven and then a long tail of words that…".',
    );
    expect(sms.body.endsWith(RECORDING_URL)).toBe(true);
  });

  it('keeps new lines and control characters the caller said out of the SMS', () => {
    const sms = smsFor(missedCall({ heard: ['line one\nline two\u0007'] }));
    expect(sms.body).toBe(`No code heard on Meta's call to +14155550123. The caller said (their words, not ours): "line one line two".`);
  });
});

describe('the notice that call forwarding paused', () => {
  const paused = (overrides: Partial<DeliveryJob> = {}, call: Partial<DeliveryJob['call']> = {}) =>
    job({ kind: 'paused', code: undefined, ...overrides }, call);

  it('says by email that forwarding paused, why, that calls are still stored, and where to read a code', () => {
    const email = emailFor(paused());
    expect(email.subject).toBe('Call forwarding paused for +14155550123: over the hourly limit');
    expect(email.text).toContain('than CALL_FORWARD_LIMIT lets through');
    expect(email.text).toContain('Calls are still answered and stored');
    expect(email.text).toContain('the only\nnotice of it this hour');
    expect(email.text).toContain(`came from +16505550100 at ${RECEIVED.toISOString()}`);
    expect(email.text).toContain('CALLERS_ALLOWED');
  });

  it('says so by SMS in one sentence or two', () => {
    expect(smsFor(paused({ channel: 'sms' })).body).toBe(
      'Call forwarding paused for +14155550123: more calls in the last hour than CALL_FORWARD_LIMIT. Calls are still answered and stored; their codes are on the operator page.',
    );
  });

  it('is never marked as a rehearsal, whatever the call that reached the limit', () => {
    expect(emailFor(paused({}, { rehearsal: true })).subject).not.toContain('[rehearsal]');
    expect(smsFor(paused({ channel: 'sms' }, { rehearsal: true })).body).not.toContain('[rehearsal]');
  });

  it("quotes the caller's number as one short line", () => {
    const email = emailFor(paused({}, { from: '+1650\r\nBcc: x@example.com' }));
    expect(email.text).toContain('came from +1650 Bcc: x@example.com at');
    expect(email.text).not.toMatch(/^Bcc:/m);
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
