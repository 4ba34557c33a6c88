import { CALL_VERDICT_MS, describeDeliveries } from '../../src/page/call-items';
import { buildChecklist, RECENT_FAILURES_MS, type ChecklistItem } from '../../src/page/checklist';
import type { PageSnapshot } from '../../src/page/page-snapshot';
import { summarizeSettings } from '../../src/page/settings-summary';
import { explainError } from '../../src/whatsapp/explain-error';
import {
  ago,
  CALLER,
  call,
  code,
  configOf,
  deadLetter,
  deadLetters,
  delivery,
  failure,
  HOUR,
  MINUTE,
  NOW,
  NUMBER,
  overview,
  PRODUCTION,
  settingsOf,
  snapshot,
  target,
  without,
} from '../helpers/page-fixtures';

// ---------------------------------------------------------------------------------------------
// Factories: a default snapshot is a fresh production install where nothing has happened yet
// (see test/helpers/page-fixtures.ts).
// ---------------------------------------------------------------------------------------------

/** The production environment run without NODE_ENV=production: local mode, with every value set. */
const LOCAL = without(PRODUCTION, 'NODE_ENV');

/** The item `id` of the checklist built from `snap` at `now`, typed as that item. */
function itemOf<Id extends ChecklistItem['id']>(snap: PageSnapshot, id: Id, now = NOW): Extract<ChecklistItem, { id: Id }> {
  const found = buildChecklist(snap, now).find((item): item is Extract<ChecklistItem, { id: Id }> => item.id === id);
  if (!found) throw new Error(`the checklist has no ${id} item`);
  return found;
}

// ---------------------------------------------------------------------------------------------

describe('the checklist', () => {
  it('lists the items in the order of the onboarding', () => {
    expect(buildChecklist(snapshot(), NOW).map((item) => item.id)).toEqual([
      'configuration',
      'call',
      'code',
      'webhook',
      'events',
      'forwarding',
      'failures',
    ]);
  });
});

describe('the configuration item', () => {
  it('is done when production has everything set', () => {
    const item = itemOf(snapshot(), 'configuration');

    expect(item.state).toBe('done');
    expect(item.summary).toBe('Production settings, all in place.');
  });

  it('waits, without needing attention, when local mode is the only remark', () => {
    const item = itemOf(snapshot({ settings: settingsOf(LOCAL) }), 'configuration');

    expect(item.state).toBe('waiting');
    expect(item.summary).toBe(
      'Local mode: generated secrets and the outbox folder stand in for real ones; set NODE_ENV=production to go live.',
    );
  });

  it('still needs attention in local mode when a signature check is off, keeping the local-mode remark', () => {
    const item = itemOf(snapshot({ settings: settingsOf({ ...LOCAL, WHATSAPP_SIGNATURE_CHECK: 'off' }) }), 'configuration');

    expect(item.state).toBe('attention');
    expect(item.summary).toBe(
      'Signature checks are off (WHATSAPP_SIGNATURE_CHECK): anyone can post to the service. ' +
        'Local mode: generated secrets and the outbox folder stand in for real ones; set NODE_ENV=production to go live.',
    );
  });

  it('names the variable of a signature check that is off', () => {
    const item = itemOf(snapshot({ settings: settingsOf({ ...LOCAL, TWILIO_SIGNATURE_CHECK: 'off' }) }), 'configuration');

    expect(item.state).toBe('attention');
    expect(item.summary).toContain('Signature checks are off (TWILIO_SIGNATURE_CHECK)');
    expect(item.summary).not.toContain('WHATSAPP_SIGNATURE_CHECK');
  });

  it('names both recipient variables when nobody is sent the codes', () => {
    const settings = settingsOf(without(LOCAL, 'NOTIFY_EMAIL_TO', 'NOTIFY_SMS_TO'));
    const item = itemOf(snapshot({ settings }), 'configuration');

    expect(item.state).toBe('attention');
    expect(item.summary).toContain('Nobody is sent the codes: set NOTIFY_EMAIL_TO or NOTIFY_SMS_TO.');
  });

  it('needs attention for a FORWARD_SECRET missing with FORWARD_URL, without calling it a recipient', () => {
    // loadConfig refuses this; a Config built another way may still carry it.
    const config = configOf({ ...PRODUCTION, FORWARD_URL: 'https://hooks.example.com/x', FORWARD_SECRET: 'f'.repeat(32) });
    const settings = summarizeSettings({ ...config, forward: { ...config.forward, secret: null } });
    const item = itemOf(snapshot({ settings }), 'configuration');

    expect(item.state).toBe('attention');
    expect(item.summary).toBe('Not set: FORWARD_SECRET.');
  });

  it('takes email recipients alone as enough: the SMS line is optional, not a problem', () => {
    const settings = settingsOf(without(PRODUCTION, 'NOTIFY_SMS_TO'));
    const item = itemOf(snapshot({ settings }), 'configuration');

    expect(item.state).toBe('done');
    expect(item.details.lines.find((line) => line.variables === 'NOTIFY_SMS_TO')).toMatchObject({ state: 'optional', value: 'nobody' });
  });
});

describe('the call item', () => {
  it('waits for a call, naming the number being registered', () => {
    const item = itemOf(snapshot(), 'call');

    expect(item.state).toBe('waiting');
    expect(item.summary).toBe(`No call yet. Meta will call ${NUMBER}.`);
    expect(item.details).toEqual({ call: null, rehearsal: false, number: NUMBER });
  });

  it('is done once a call came, saying who called whom', () => {
    const latestCall = call();
    const item = itemOf(snapshot({ latestCall }), 'call');

    expect(item.state).toBe('done');
    expect(item.summary).toBe(`A call from ${CALLER} to ${NUMBER}.`);
    expect(item.details).toEqual({ call: latestCall, rehearsal: false, number: NUMBER });
  });

  it('names the number given as settings.number, whatever the lines hold', () => {
    const settings = settingsOf(PRODUCTION);
    const item = itemOf(snapshot({ settings: { ...settings, number: '+14155550777', lines: [] } }), 'call');

    expect(item.summary).toBe('No call yet. Meta will call +14155550777.');
    expect(item.details.number).toBe('+14155550777');
  });

  it('flags a call stored as a rehearsal (wa-onboard simulate call) as a rehearsal', () => {
    const item = itemOf(snapshot({ latestCall: call({ from: '+15555550100', rehearsal: true }) }), 'call');

    expect(item.state).toBe('done');
    expect(item.details.rehearsal).toBe(true);
    expect(item.summary).toBe(`A rehearsal call (wa-onboard simulate call) to ${NUMBER}.`);
  });
});

describe('the code item', () => {
  describe('before any code', () => {
    it('waits when there is neither a call nor a code', () => {
      const item = itemOf(snapshot(), 'code');

      expect(item.state).toBe('waiting');
      expect(item.summary).toBe('No code heard yet.');
      expect(item.details).toEqual({ code: null, sourceLabel: null, callWithoutCode: null });
    });

    it('is listening while a recent call has no code, recording or notice', () => {
      const item = itemOf(snapshot({ latestCall: call({ heard: ['one two'] }) }), 'code');

      expect(item.state).toBe('waiting');
      expect(item.summary).toBe('Listening to the call for the code.');
      expect(item.details.callWithoutCode).toEqual({
        startedAt: ago(MINUTE),
        listening: true,
        fallbackAt: null,
        recordingUrl: null,
        recordingOnTwilio: false,
        heard: ['one two'],
      });
    });

    it('waits for the transcript once the call went on to the recording, even with its recording in', () => {
      const latestCall = call({
        fallbackAt: ago(MINUTE / 2),
        recordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1',
      });
      const item = itemOf(snapshot({ latestCall }), 'code');

      expect(item.state).toBe('waiting');
      expect(item.summary).toBe('No code heard on the line; waiting for the transcript of the recording.');
      expect(item.details.callWithoutCode?.listening).toBe(true);
    });

    it('keeps listening while the no-code notice is only scheduled', () => {
      const notice = delivery({ status: 'pending', attempts: 0, sentAt: null });
      const item = itemOf(snapshot({ latestCall: call({ notices: [notice] }) }), 'code');

      expect(item.state).toBe('waiting');
      expect(item.details.callWithoutCode?.listening).toBe(true);
    });

    it('asks to listen to the recording once a call without fallback ended with no code', () => {
      const recordingUrl = 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE2';
      const item = itemOf(snapshot({ latestCall: call({ recordingUrl }) }), 'code');

      expect(item.state).toBe('attention');
      expect(item.summary).toBe('The latest call ended without a code: listen to its recording.');
      expect(item.details.callWithoutCode).toMatchObject({ listening: false, recordingUrl, recordingOnTwilio: true });
    });

    it('takes a recording on the host of TWILIO_API_BASE_URL for one on Twilio', () => {
      const settings = settingsOf({ ...PRODUCTION, TWILIO_API_BASE_URL: 'https://twilio-proxy.example.net:8443' });
      const latestCall = call({ recordingUrl: 'https://twilio-proxy.example.net:8443/2010-04-01/Accounts/AC1/Recordings/RE4' });
      const item = itemOf(snapshot({ settings, latestCall }), 'code');

      expect(item.details.callWithoutCode?.recordingOnTwilio).toBe(true);
    });

    it.each([
      ['another host', 'https://recordings.example.com/RE5'],
      ['a host that only starts like Twilio', 'https://api.twilio.com.example.com/RE5'],
      ['Twilio as the user before another host', 'https://api.twilio.com@example.com/RE5'],
      ['Twilio in the path', 'https://example.com/api.twilio.com/RE5'],
      ["Twilio's host on another port", 'https://api.twilio.com:8443/RE5'],
      ['a scheme other than http(s)', 'ftp://api.twilio.com/RE5'],
      ['an address that is not a URL', 'api.twilio.com/RE5'],
    ])('does not take a recording on %s for one on Twilio', (_what, recordingUrl) => {
      const item = itemOf(snapshot({ latestCall: call({ recordingUrl }) }), 'code');

      expect(item.details.callWithoutCode).toMatchObject({ recordingUrl, recordingOnTwilio: false });
    });

    it('takes a sent no-code notice as the end of the call', () => {
      const item = itemOf(snapshot({ latestCall: call({ notices: [delivery({ status: 'sent' })] }) }), 'code');

      expect(item.state).toBe('attention');
      expect(item.summary).toBe('The latest call ended without a code, and its recording has not come yet.');
      expect(item.details.callWithoutCode?.listening).toBe(false);
    });

    it('takes a no-code notice being retried as the end of the call', () => {
      const notice = delivery({ status: 'pending', attempts: 1, error: 'connection refused', sentAt: null });
      const item = itemOf(snapshot({ latestCall: call({ notices: [notice] }) }), 'code');

      expect(item.state).toBe('attention');
      expect(item.details.callWithoutCode?.listening).toBe(false);
    });

    it('gives up listening on a silent call older than CALL_VERDICT_MS', () => {
      const item = itemOf(snapshot({ latestCall: call({ startedAt: ago(CALL_VERDICT_MS + 1000) }) }), 'code');

      expect(item.state).toBe('attention');
      expect(item.details.callWithoutCode?.listening).toBe(false);
    });

    it('still listens to a silent call just younger than CALL_VERDICT_MS', () => {
      const item = itemOf(snapshot({ latestCall: call({ startedAt: ago(CALL_VERDICT_MS - 1000) }) }), 'code');

      expect(item.state).toBe('waiting');
      expect(item.details.callWithoutCode?.listening).toBe(true);
    });
  });

  describe('with a code', () => {
    it.each([
      ['dtmf', 'keypad'],
      ['speech', 'speech'],
      ['transcription', 'transcription of the recording'],
    ] as const)('is done when a code heard by %s was sent, naming the source as "%s"', (source, label) => {
      const latestCode = code({ source, deliveries: [delivery(), delivery({ channel: 'sms', to: '+14155550199' })] });
      const item = itemOf(snapshot({ latestCode }), 'code');

      expect(item.state).toBe('done');
      expect(item.summary).toBe(`Heard by ${label}. 2 of 2 deliveries sent.`);
      expect(item.details).toEqual({ code: latestCode, sourceLabel: label, callWithoutCode: null });
    });

    it('needs attention when a delivery failed', () => {
      const latestCode = code({ deliveries: [delivery(), delivery({ status: 'failed', error: '550 mailbox unavailable', sentAt: null })] });
      const item = itemOf(snapshot({ latestCode }), 'code');

      expect(item.state).toBe('attention');
      expect(item.summary).toBe('Heard by keypad. 1 of 2 deliveries sent, 1 failed.');
    });

    it('needs attention when a delivery is being retried after an error', () => {
      const latestCode = code({ deliveries: [delivery({ status: 'pending', attempts: 2, error: 'timed out', sentAt: null })] });
      const item = itemOf(snapshot({ latestCode }), 'code');

      expect(item.state).toBe('attention');
      expect(item.summary).toBe('Heard by keypad. 0 of 1 delivery sent, 1 retrying.');
    });

    it('waits while a delivery is still being sent for the first time', () => {
      const latestCode = code({ deliveries: [delivery(), delivery({ status: 'pending', attempts: 0, error: null, sentAt: null })] });
      const item = itemOf(snapshot({ latestCode }), 'code');

      expect(item.state).toBe('waiting');
      expect(item.summary).toBe('Heard by keypad. 1 of 2 deliveries sent, 1 sending.');
    });

    it('is done with a code that has nobody to go to, saying it is only stored', () => {
      const item = itemOf(snapshot({ latestCode: code({ deliveries: [] }) }), 'code');

      expect(item.state).toBe('done');
      expect(item.summary).toBe('Heard by keypad. Nobody to forward it to: it is only stored.');
    });

    it('does not take the call that gave the code for a call without code', () => {
      const latestCode = code();
      const latestCall = call({ callSid: latestCode.callSid, startedAt: ago(3 * MINUTE), codes: 1, recordingUrl: 'https://api.twilio.com/RE3' });
      const item = itemOf(snapshot({ latestCall, latestCode }), 'code');

      expect(item.state).toBe('done');
      expect(item.details.callWithoutCode).toBeNull();
    });

    it('puts a newer call without code first, keeping the older code in the details', () => {
      const latestCode = code({ receivedAt: ago(30 * MINUTE) });
      const latestCall = call({ startedAt: ago(MINUTE) });
      const item = itemOf(snapshot({ latestCall, latestCode }), 'code');

      expect(item.state).toBe('waiting');
      expect(item.summary).toBe('Listening to the call for the code.');
      expect(item.details.callWithoutCode).toMatchObject({ startedAt: latestCall.startedAt, listening: true });
      expect(item.details.code).toEqual(latestCode);
      expect(item.details.sourceLabel).toBe('keypad');
    });
  });
});

describe('describeDeliveries', () => {
  it('says a code with no delivery is only stored', () => {
    expect(describeDeliveries([])).toBe('Nobody to forward it to: it is only stored.');
  });

  it('uses the singular for one delivery', () => {
    expect(describeDeliveries([delivery()])).toBe('1 of 1 delivery sent.');
  });

  it('counts sent, failed, retrying and sending deliveries apart', () => {
    const deliveries = [
      delivery({ status: 'sent' }),
      delivery({ status: 'sent' }),
      delivery({ status: 'failed', error: '550', sentAt: null }),
      delivery({ status: 'pending', attempts: 1, error: 'timed out', sentAt: null }),
      delivery({ status: 'pending', attempts: 0, error: null, sentAt: null }),
    ];

    expect(describeDeliveries(deliveries)).toBe('2 of 5 deliveries sent, 1 failed, 1 retrying, 1 sending.');
  });

  it('leaves out the kinds that have no delivery', () => {
    const deliveries = [delivery({ status: 'failed', error: '550', sentAt: null }), delivery({ status: 'failed', error: '550', sentAt: null })];

    expect(describeDeliveries(deliveries)).toBe('0 of 2 deliveries sent, 2 failed.');
  });
});

describe('the webhook item', () => {
  it('waits for Meta to verify the callback URL, giving that URL', () => {
    const item = itemOf(snapshot(), 'webhook');

    expect(item.state).toBe('waiting');
    expect(item.summary).toContain('with the verify token');
    expect(item.details).toEqual({ lastVerifiedAt: null, lastRehearsedAt: null, callbackUrl: 'https://onboard.example.com/webhooks/whatsapp' });
  });

  it("still waits for Meta after wa-onboard doctor's check, saying the rehearsal is not Meta's", () => {
    const lastRehearsedAt = ago(2 * MINUTE);
    const webhook = overview({}, { rehearsals: { ...overview().rehearsals, lastVerifiedAt: lastRehearsedAt } });
    const item = itemOf(snapshot({ webhook }), 'webhook');

    expect(item.state).toBe('waiting');
    expect(item.summary).not.toContain('Meta verified');
    expect(item.summary).toContain("A rehearsal (wa-onboard doctor) got the challenge back; that is not Meta's check.");
    expect(item.details).toMatchObject({ lastVerifiedAt: null, lastRehearsedAt });
  });

  it('is done once Meta verified the callback URL', () => {
    const lastVerifiedAt = ago(10 * MINUTE);
    const item = itemOf(snapshot({ webhook: overview({}, { lastVerifiedAt }) }), 'webhook');

    expect(item.state).toBe('done');
    expect(item.summary).toBe('Meta verified the callback URL.');
    expect(item.details.lastVerifiedAt).toBe(lastVerifiedAt);
  });
});

describe('the events item', () => {
  it('waits when nothing came', () => {
    const item = itemOf(snapshot(), 'events');

    expect(item.state).toBe('waiting');
    expect(item.summary).toBe('No events yet.');
  });

  it('waits when POSTs are stored but no event came of them yet', () => {
    const item = itemOf(snapshot({ webhook: overview({ stored: 2, pending: 2 }) }), 'events');

    expect(item.state).toBe('waiting');
    expect(item.summary).toBe('2 POSTs received, with no event yet.');
  });

  it('is done with events, counting them', () => {
    const lastEventAt = ago(MINUTE);
    const webhook = overview({ stored: 900, dispatched: 900, events: 1234 }, { lastEventAt });
    const item = itemOf(snapshot({ webhook }), 'events');

    expect(item.state).toBe('done');
    expect(item.summary).toBe('1,234 events received.');
    expect(item.details).toEqual({ counts: webhook.counts, lastEventAt, rehearsals: webhook.rehearsals });
  });

  it('counts a single event in the singular', () => {
    expect(itemOf(snapshot({ webhook: overview({ stored: 1, events: 1 }) }), 'events').summary).toBe('1 event received.');
  });

  it('still waits for Meta when only rehearsal events came, saying they are not counted', () => {
    const rehearsals = { ...overview().rehearsals, posts: 2, events: 2, latest: [failure({ eventId: 'rehearsal:status:wamid.x:failed' })] };
    const item = itemOf(snapshot({ webhook: overview({}, { rehearsals }) }), 'events');

    expect(item.state).toBe('waiting');
    expect(item.summary).toBe('No events from Meta yet; 2 rehearsal events went through (not counted).');
  });

  it('needs attention when a POST could not be read, even with events', () => {
    const item = itemOf(snapshot({ webhook: overview({ stored: 5, invalid: 1, events: 4 }) }), 'events');

    expect(item.state).toBe('attention');
    expect(item.summary).toBe('1 POST could not be read; each is kept in the inbox.');
  });
});

describe('the forwarding item', () => {
  it('is off without a target', () => {
    const item = itemOf(snapshot(), 'forwarding');

    expect(item.state).toBe('off');
    expect(item.summary).toContain('FORWARD_URL');
  });

  it('waits while events are on the way without an error', () => {
    const targets = [target({ backlog: 2 }), target({ target: 'https://b.example.com/x', backlog: 1 })];
    const item = itemOf(snapshot({ webhook: overview({}, { forwarding: targets }) }), 'forwarding');

    expect(item.state).toBe('waiting');
    expect(item.summary).toBe('3 events on the way.');
    const none = { rejected: 0, expired: 0, latest: [] };
    expect(item.details.targets).toEqual([
      { ...targets[0], target: 'https://hooks.example.com/…[85af3d]', deadLetters: none },
      { ...targets[1], target: 'https://b.example.com/…[735a39]', deadLetters: none },
    ]);
  });

  it.each([
    ['a Slack-style secret path', 'https://hooks.example.com/services/T0/B0/SECRET', 'https://hooks.example.com/…[1f0877]'],
    ['a token in the query', 'https://hooks.example.com/?token=SECRET', 'https://hooks.example.com/…[4ad1f1]'],
    ['nothing after the host', 'https://hooks.example.com:8443/', 'https://hooks.example.com:8443'],
  ])('shows a target with %s by its origin and a short id only', (_what, stored, shown) => {
    const item = itemOf(snapshot({ webhook: overview({}, { forwarding: [target({ target: stored })] }) }), 'forwarding');

    expect(item.details.targets.map((t) => t.target)).toEqual([shown]);
  });

  it('needs attention when a target with a backlog has an error', () => {
    const targets = [target({ backlog: 3, lastError: 'HTTP 503' }), target({ target: 'https://b.example.com/x', backlog: 1 })];
    const item = itemOf(snapshot({ webhook: overview({}, { forwarding: targets }) }), 'forwarding');

    expect(item.state).toBe('attention');
    expect(item.summary).toBe('4 events waiting; 1 target failing.');
  });

  it('needs attention when a target no longer configured is still owed events', () => {
    const targets = [target({ configured: false, backlog: 1 })];
    const item = itemOf(snapshot({ webhook: overview({}, { forwarding: targets }) }), 'forwarding');

    expect(item.state).toBe('attention');
    expect(item.summary).toBe('1 event waiting; 1 target failing.');
  });

  it('needs attention while a target has dead letters, counting them for a replay', () => {
    const latest = [deadLetter(), deadLetter({ eventId: 'message:wamid.older', status: 'expired', httpStatus: null, error: 'timed out' })];
    const item = itemOf(
      snapshot({ webhook: overview({}, { forwarding: [target(), target({ target: 'https://b.example.com/x' })] }), deadLetters: [deadLetters({ rejected: 2, expired: 1, latest })] }),
      'forwarding',
    );

    expect(item.state).toBe('attention');
    expect(item.summary).toBe('Nothing waiting. 3 dead letters to replay once the target takes them.');
    expect(item.details.targets.map((t) => t.deadLetters)).toEqual([
      { rejected: 2, expired: 1, latest },
      { rejected: 0, expired: 0, latest: [] },
    ]);
  });

  it('finds the dead letters of a target whose URL carries credentials (the store keeps it without them)', () => {
    const withPassword = 'https://user:secret@hooks.example.com/whatsapp';
    const item = itemOf(snapshot({ webhook: overview({}, { forwarding: [target({ target: withPassword })] }), deadLetters: [deadLetters()] }), 'forwarding');

    expect(item.details.targets[0]?.deadLetters.rejected).toBe(1);
  });

  it('adds the dead letters to the summary of a failing target', () => {
    const targets = [target({ backlog: 2, lastError: 'HTTP 503' })];
    const item = itemOf(snapshot({ webhook: overview({}, { forwarding: targets }), deadLetters: [deadLetters()] }), 'forwarding');

    expect(item.summary).toBe('2 events waiting; 1 target failing. 1 dead letter to replay once the target takes them.');
  });

  it('is done when nothing is waiting, whatever failed before', () => {
    const targets = [target(), target({ target: 'https://b.example.com/x', lastError: 'HTTP 500', rejected: 1 })];
    const item = itemOf(snapshot({ webhook: overview({}, { forwarding: targets }) }), 'forwarding');

    expect(item.state).toBe('done');
    expect(item.summary).toBe('Nothing waiting.');
  });
});

describe('the failures item', () => {
  it('is done when Meta reported no failure', () => {
    const item = itemOf(snapshot(), 'failures');

    expect(item.state).toBe('done');
    expect(item.summary).toBe('Meta has reported no failure.');
  });

  it('needs attention when Meta reported failures, naming the latest error code and title', () => {
    const failures = [failure(), failure({ eventId: 'older', errors: [explainError({ code: 130429, title: 'Rate limit hit' })] })];
    const item = itemOf(snapshot({ webhook: overview({}, { failures }) }), 'failures');

    expect(item.state).toBe('attention');
    expect(item.summary).toBe('Meta reported failures (latest: 131047, Re-engagement message).');
    expect(item.details.failures).toEqual(failures);
  });

  it('explains a latest error without code or title by its meaning', () => {
    const explained = explainError({});
    const item = itemOf(snapshot({ webhook: overview({}, { failures: [failure({ errors: [explained] })] }) }), 'failures');

    expect(item.summary).toBe(`Meta reported failures (latest: no code, ${explained.meaning}).`);
  });

  it('looks back the 24 hours its summary names', () => {
    expect(RECENT_FAILURES_MS).toBe(24 * HOUR);
  });

  it('is done when every failure is older than RECENT_FAILURES_MS, still listing them in the details', () => {
    const failures = [failure({ receivedAt: ago(RECENT_FAILURES_MS + MINUTE) }), failure({ eventId: 'older', receivedAt: ago(7 * 24 * HOUR) })];
    const item = itemOf(snapshot({ webhook: overview({}, { failures }) }), 'failures');

    expect(item.state).toBe('done');
    expect(item.summary).toBe('No failure in the last 24 hours.');
    expect(item.details.failures).toEqual(failures);
  });

  it('still needs attention for a failure just inside RECENT_FAILURES_MS', () => {
    const item = itemOf(snapshot({ webhook: overview({}, { failures: [failure({ receivedAt: ago(RECENT_FAILURES_MS - MINUTE) })] }) }), 'failures');

    expect(item.state).toBe('attention');
    expect(item.summary).toBe('Meta reported failures (latest: 131047, Re-engagement message).');
  });

  it('needs attention for a recent failure listed with older ones, naming the recent one', () => {
    const failures = [
      failure({ receivedAt: ago(HOUR), errors: [explainError({ code: 130429, title: 'Rate limit hit' })] }),
      failure({ eventId: 'older', receivedAt: ago(3 * 24 * HOUR) }),
    ];
    const item = itemOf(snapshot({ webhook: overview({}, { failures }) }), 'failures');

    expect(item.state).toBe('attention');
    expect(item.summary).toBe('Meta reported failures (latest: 130429, Rate limit hit).');
  });

  it('still needs attention for a failure that came without errors', () => {
    const item = itemOf(snapshot({ webhook: overview({}, { failures: [failure({ errors: [] })] }) }), 'failures');

    expect(item.state).toBe('attention');
    expect(item.summary).toBe('Meta reported failures (latest without details).');
  });
});
