import { admissionFor, callerAllowed, decideForwarding, FORWARD_WINDOW_MS, forwardingWithoutStore } from '../../src/voice/forward-budget';

const EVERYONE = { limit: 10, callersAllowed: null };
const US_AND_UK = { limit: 10, callersAllowed: ['+1650', '+44'] };
const QUIET = { forwarded: 0, paused: false };

describe('callerAllowed', () => {
  it('lets every caller in when CALLERS_ALLOWED is unset, anonymous ones too', () => {
    expect(callerAllowed('+16505550100', null)).toBe(true);
    expect(callerAllowed('anonymous', null)).toBe(true);
  });

  it('lets in a caller whose number starts with one of the prefixes', () => {
    expect(callerAllowed('+16505550100', US_AND_UK.callersAllowed)).toBe(true);
    expect(callerAllowed('+447700900123', US_AND_UK.callersAllowed)).toBe(true);
  });

  it('keeps out a number under another prefix, and callers that are not E.164 at all', () => {
    for (const from of ['+14155550100', '+4', '16505550100', 'anonymous', 'client:alice', 'sip:+16505550100@example.com', '']) {
      expect(callerAllowed(from, US_AND_UK.callersAllowed)).toBe(false);
    }
  });
});

describe('decideForwarding, the budget rule', () => {
  it('forwards a call while fewer than CALL_FORWARD_LIMIT were forwarded in the hour before it', () => {
    expect(decideForwarding(EVERYONE, '+16505550100', QUIET)).toEqual({ forwarding: 'forwarded', pause: false });
    expect(decideForwarding(EVERYONE, '+16505550100', { forwarded: 9, paused: false })).toEqual({ forwarding: 'forwarded', pause: false });
  });

  it('holds back the call past the limit, and asks for the pause notice when none went out in the hour', () => {
    expect(decideForwarding(EVERYONE, '+16505550100', { forwarded: 10, paused: false })).toEqual({ forwarding: 'over-limit', pause: true });
  });

  it('holds back later calls past the limit without another pause notice in the same hour', () => {
    expect(decideForwarding(EVERYONE, '+16505550100', { forwarded: 10, paused: true })).toEqual({ forwarding: 'over-limit', pause: false });
    expect(decideForwarding(EVERYONE, '+16505550100', { forwarded: 12, paused: true })).toEqual({ forwarding: 'over-limit', pause: false });
  });

  it('forwards again once the hour holds fewer forwarded calls than the limit, even after a pause', () => {
    expect(decideForwarding(EVERYONE, '+16505550100', { forwarded: 9, paused: true })).toEqual({ forwarding: 'forwarded', pause: false });
  });

  it('holds back a caller outside CALLERS_ALLOWED whatever the budget, and never pauses for one', () => {
    expect(decideForwarding(US_AND_UK, '+14155550100', QUIET)).toEqual({ forwarding: 'caller-not-allowed', pause: false });
    expect(decideForwarding(US_AND_UK, '+14155550100', { forwarded: 10, paused: false })).toEqual({ forwarding: 'caller-not-allowed', pause: false });
  });

  it('applies the budget to allowed callers too', () => {
    expect(decideForwarding(US_AND_UK, '+447700900123', { forwarded: 10, paused: false })).toEqual({ forwarding: 'over-limit', pause: true });
  });

  it('honours a limit of one', () => {
    const one = { limit: 1, callersAllowed: null };
    expect(decideForwarding(one, '+16505550100', QUIET).forwarding).toBe('forwarded');
    expect(decideForwarding(one, '+16505550100', { forwarded: 1, paused: false }).forwarding).toBe('over-limit');
  });
});

describe('admissionFor', () => {
  it('counts back one hour and decides by the rule for the call\'s caller', () => {
    const recipients = [{ channel: 'email' as const, to: 'ops@example.com' }];
    const admission = admissionFor(US_AND_UK, '+447700900123', recipients);
    expect(admission.windowMs).toBe(FORWARD_WINDOW_MS);
    expect(FORWARD_WINDOW_MS).toBe(3_600_000);
    expect(admission.recipients).toBe(recipients);
    expect(admission.decide({ forwarded: 10, paused: false })).toEqual({ forwarding: 'over-limit', pause: true });
    expect(admissionFor(US_AND_UK, '+33612345678', recipients).decide(QUIET).forwarding).toBe('caller-not-allowed');
  });
});

describe('forwardingWithoutStore (the database is down, the code goes to the spool)', () => {
  it('still keeps out a caller outside CALLERS_ALLOWED', () => {
    expect(forwardingWithoutStore(US_AND_UK, '+14155550100')).toBe('caller-not-allowed');
  });

  it('forwards an allowed caller: the budget cannot be counted, and losing the code would be worse', () => {
    expect(forwardingWithoutStore(US_AND_UK, '+16505550100')).toBe('forwarded');
    expect(forwardingWithoutStore(EVERYONE, 'anonymous')).toBe('forwarded');
  });
});
